package pretix

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/pretixwire"
	"pretix-hubspot/secret"
)

// recorder is an OrderListener that keeps every change.
type recorder struct {
	mu      sync.Mutex
	changes []OrderChange
}

func (r *recorder) OrdersChanged(_ context.Context, cs []OrderChange) {
	r.mu.Lock()
	r.changes = append(r.changes, cs...)
	r.mu.Unlock()
}

func (r *recorder) all() []OrderChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]OrderChange(nil), r.changes...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.changes = nil
	r.mu.Unlock()
}

func (r *recorder) byCode() map[string]OrderChange {
	out := map[string]OrderChange{}
	for _, c := range r.all() {
		out[c.Code] = c
	}
	return out
}

func openDB(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	return db
}

func testBox(t testing.TB) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type harness struct {
	*emu
	db  *gorm.DB
	svc *Service
	rec *recorder
	box *secret.Box
}

// newHarness wires a Service (no pacing, fast retries, real clock) to an
// emulator with n orders.
func newHarness(t testing.TB, e *emu, cfg Config) *harness {
	t.Helper()
	h := &harness{emu: e, db: openDB(t), rec: &recorder{}, box: testBox(t)}
	cfg.DB, cfg.Box, cfg.Listener = h.db, h.box, h.rec
	if cfg.Log == nil {
		cfg.Log = quietLog
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	cfg.PasswordCost = bcrypt.MinCost
	cfg.ClientOptions = append(cfg.ClientOptions, pretixapi.WithRetry(6, time.Millisecond, 5*time.Millisecond))
	h.svc = NewService(cfg)
	t.Cleanup(h.svc.Close)
	return h
}

// connect creates the organizer through the service and waits for its first
// pull.
func (h *harness) connect(t testing.TB) *OrganizerView {
	t.Helper()
	ctx := context.Background()
	org, err := h.svc.Create(ctx, ConnectInput{BaseURL: h.HTTP.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.PullOrganizer(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	return org
}

func (h *harness) count(t testing.TB, table string) int {
	t.Helper()
	var n int64
	if err := h.db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func (h *harness) organizer(t testing.TB, id int64) models.PretixOrganizer {
	t.Helper()
	var o models.PretixOrganizer
	if err := h.db.First(&o, id).Error; err != nil {
		t.Fatal(err)
	}
	return o
}

func liveOrders(e *emu) int {
	n := 0
	for _, ref := range e.Fake.Orders(testOrg) {
		if o, _ := e.Fake.Order(testOrg, ref.Event, ref.Code); !o.Testmode {
			n++
		}
	}
	return n
}

// decodeOrder decodes an order as the client does, keeping its JSON.
func decodeOrder(raw []byte) (pretixwire.Order, error) {
	o, err := pretixwire.DecodeOrder(raw)
	if err != nil {
		return pretixwire.Order{}, err
	}
	o.Raw = append(json.RawMessage(nil), raw...)
	return *o, nil
}
