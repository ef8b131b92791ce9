package datasync

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/models"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type fixture struct {
	db    *gorm.DB
	clock *clockwork.FakeClock
	q     *Queue
	event int64
}

// newFixture opens a temp database with one organizer, one event with the
// "test" provider enabled, and n orders.
func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	clock := clockwork.NewFakeClockAt(t0)
	must(t, db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at) VALUES (1, 'https://pretix.example', 'acme', 'x', ?, ?)`, t0, t0).Error)
	must(t, db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (1, 1, 'conf', ?, ?)`, t0, t0).Error)
	must(t, db.Exec(`INSERT INTO event_providers (event_id, provider, enabled, activated_at, created_at, updated_at) VALUES (1, 'test', 1, ?, ?, ?)`, t0, t0, t0).Error)
	for i := 1; i <= n; i++ {
		must(t, db.Exec(`INSERT INTO pretix_orders (id, organizer_id, event_id, event_slug, code, status, datetime, last_modified, raw_json, first_seen_at, updated_at)
			VALUES (?, 1, 1, 'conf', ?, 'p', ?, ?, '{}', ?, ?)`, i, fmt.Sprintf("ORD%02d", i), t0, t0, t0, t0).Error)
	}
	return &fixture{db: db, clock: clock, q: NewQueue(db, clock, DefaultRetryPolicy, rand.New(rand.NewPCG(1, 2))), event: 1}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) job(t *testing.T, orderID int64) *models.SyncJob {
	t.Helper()
	var j models.SyncJob
	err := f.db.Where("order_id = ? AND provider = 'test'", orderID).First(&j).Error
	if err == gorm.ErrRecordNotFound {
		return nil
	}
	must(t, err)
	return &j
}
