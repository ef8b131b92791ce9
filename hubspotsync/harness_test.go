package hubspotsync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// Portals of the emulator's default accounts.
const (
	hubA = 24681357 // app-eu1.hubspot.com
	hubB = 13579246
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.DiscardHandler)

// harness is the engine against the HubSpot emulator over real HTTP, with a
// real SQLite database, everything on one fake clock that moves only when
// someone waits on it (rate-limit pacing, retry back-off).
type harness struct {
	t         testing.TB
	ctx       context.Context
	clock     *clockwork.FakeClock // nil on real time
	dbPath    string
	fake      *hubspotfake.Server
	ts        *httptest.Server
	db        *gorm.DB
	hs        *hubspot.Service
	q         *datasync.Queue
	prov      *Provider
	runner    *datasync.Runner
	providers *datasync.Providers
	event     int64
	orders    map[string]int64 // code → order id

	hookMu sync.Mutex
	hook   func(w http.ResponseWriter, r *http.Request, body []byte) bool // true: answered
}

type harnessOpts struct {
	fake     hubspotfake.Options
	policy   datasync.RetryPolicy
	realTime bool // real clock (for worker processes and benchmarks)
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	var clock clockwork.Clock = clockwork.NewRealClock()
	var fc *clockwork.FakeClock
	if !o.realTime {
		fc = clockwork.NewFakeClockAt(t0)
		clock = fc
	}
	o.fake.Clock = clock
	if o.fake.Seed == 0 {
		o.fake.Seed = 7
	}
	h := &harness{t: t, ctx: context.Background(), clock: fc, fake: hubspotfake.New(o.fake), orders: map[string]int64{}}
	h.ts = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.ts.Close)
	h.dbPath = filepath.Join(t.TempDir(), "db.sqlite")
	db, err := models.Open(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	h.db = db
	box, err := secret.NewBox(workerKey)
	if err != nil {
		t.Fatal(err)
	}
	client := h.ts.Client()
	client.Timeout = 20 * time.Second
	h.hs = hubspot.NewService(hubspot.Options{DB: db, Box: box, APIBaseURL: h.ts.URL, AppBaseURL: h.ts.URL,
		RedirectURL: "http://localhost:8080/api/hubspot/callback", ClientID: h.fake.ClientID(), ClientSecret: h.fake.ClientSecret(),
		HTTPClient: client, Clock: clock, Rand: rand.New(rand.NewPCG(1, 2)), Logger: quiet, NoHedging: fc != nil,
		OnActivated: func(ctx context.Context, eventID int64) error {
			return h.providers.Activate(ctx, eventID, ProviderName)
		}})
	if o.policy.MaxAttempts == 0 {
		o.policy = datasync.DefaultRetryPolicy
	}
	h.q = datasync.NewQueue(db, clock, o.policy, rand.New(rand.NewPCG(3, 4)))
	h.prov = New(Options{DB: db, Portals: h.hs, Clock: clock, Logger: quiet, MaxAttempts: o.policy.MaxAttempts})
	h.runner = datasync.NewRunner(db, h.q, clock, quiet, []datasync.Provider{h.prov}, datasync.RunnerOptions{Owner: "test"})
	h.providers = datasync.NewProviders(db, clock, []datasync.Provider{h.prov})
	if fc != nil {
		h.autoAdvance(50 * time.Millisecond)
	}
	h.seedEvent()
	return h
}

// serve passes requests to the emulator unless the test's hook answers.
func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	h.hookMu.Lock()
	hook := h.hook
	h.hookMu.Unlock()
	if hook != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if hook(w, r, body) {
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	h.fake.Handler().ServeHTTP(w, r)
}

func (h *harness) setHook(f func(w http.ResponseWriter, r *http.Request, body []byte) bool) {
	h.hookMu.Lock()
	h.hook = f
	h.hookMu.Unlock()
}

// autoAdvance moves the clock whenever something sleeps on it.
func (h *harness) autoAdvance(step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for {
			if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			h.clock.Advance(step)
		}
	}()
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

const (
	eventJSON    = `{"slug":"conf","name":{"en":"Conf 2026"},"currency":"EUR","timezone":"Europe/Berlin","date_from":"2026-12-01T09:00:00+01:00","has_subevents":false}`
	settingsJSON = `{"locales":["en"],"locale":"en","name_scheme":"given_family"}`
	itemsJSON    = `[{"id":1,"name":{"en":"Ticket"},"admission":true},{"id":2,"name":{"en":"Workshop"},"admission":false}]`
	questions    = `[{"id":10,"identifier":"DIET","question":{"en":"Diet"},"type":"M","position":1,"options":[
		{"id":101,"identifier":"VEG","answer":{"en":"Vegetarian"},"position":1},
		{"id":102,"identifier":"GF","answer":{"en":"Gluten-free"},"position":2},
		{"id":103,"identifier":"HALAL","answer":{"en":"Halal"},"position":3}]},
		{"id":11,"identifier":"TOPIC","question":{"en":"Topic"},"type":"S","position":2}]`
)

// seedEvent stores organizer "acme" with event "conf" and its catalogue.
func (h *harness) seedEvent() {
	db := h.db
	h.must(db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at) VALUES (1, 'https://pretix.example/api/v1/', 'acme', 'x', ?, ?)`, t0, t0).Error)
	h.must(db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, event_json, settings_json, items_json, questions_json, created_at, updated_at, refreshed_at)
		VALUES (1, 1, 'conf', ?, ?, ?, ?, ?, ?, ?)`, eventJSON, settingsJSON, itemsJSON, questions, t0, t0, t0).Error)
	h.event = 1
}

// connect runs the OAuth flow for a portal, links the event to it and
// enables the plugin.
func (h *harness) connect(hubID int64) {
	h.t.Helper()
	u, err := h.hs.BeginEventConnect(h.ctx, "sess", h.event, "/back")
	h.must(err)
	redirect, err := hubspotfake.Approve(h.ctx, h.ts.Client(), u, hubID)
	h.must(err)
	_, err = h.hs.CompleteEventConnect(h.ctx, "sess", redirect.Query())
	h.must(err)
	_, err = h.providers.SetEnabled(h.ctx, h.event, ProviderName, true)
	h.must(err)
}

// contactProps adds the custom properties the tests map to a portal.
func (h *harness) addProperties(hubID int64) {
	h.t.Helper()
	for _, p := range []struct {
		ot string
		p  hubspotfake.Property
	}{
		{"contacts", hubspotfake.Property{Name: "first_order", Label: "First order", Type: "string", FieldType: "text"}},
		{"contacts", hubspotfake.Property{Name: "last_order", Label: "Last order", Type: "string", FieldType: "text"}},
		{"contacts", hubspotfake.Property{Name: "source_event", Label: "Source event", Type: "string", FieldType: "text"}},
		{"contacts", hubspotfake.Property{Name: "orders", Label: "Orders", Type: "string", FieldType: "textarea"}},
		{"contacts", hubspotfake.Property{Name: "spent", Label: "Spent", Type: "number", FieldType: "number"}},
		{"contacts", hubspotfake.Property{Name: "tickets", Label: "Tickets", Type: "string", FieldType: "textarea"}},
		{"contacts", hubspotfake.Property{Name: "diets", Label: "Diets", Type: "enumeration", FieldType: "checkbox",
			Options: []hubspotfake.Option{{Label: "Vegetarian", Value: "vegetarian"}, {Label: "Gluten-free", Value: "glutenfree", DisplayOrder: 1}, {Label: "Halal", Value: "halal", DisplayOrder: 2}}}},
		{"deals", hubspotfake.Property{Name: "pretix_order_key", Label: "pretix order", Type: "string", FieldType: "text", HasUniqueValue: true}},
	} {
		h.must(h.fake.AddProperty(hubID, p.ot, p.p))
	}
}

// mapping stores an object mapping with its property rows; rows are
// "pretix_field>property:mode[:valuemap json]".
func (h *harness) mapping(pos int, src, target, idField, idProp string, assoc []int64, rows ...string) int64 {
	h.t.Helper()
	a, _ := json.Marshal(assoc)
	if assoc == nil {
		a = []byte("[]")
	}
	om := models.ObjectMapping{EventID: h.event, Provider: ProviderName, Position: pos, SourceType: src, TargetType: target,
		IDField: idField, IDProperty: idProp, AssociateWithJSON: string(a), CreatedAt: t0, UpdatedAt: t0}
	h.must(h.db.Create(&om).Error)
	for i, row := range rows {
		field, rest, _ := strings.Cut(row, ">")
		prop, rest, _ := strings.Cut(rest, ":")
		mode, vmap, _ := strings.Cut(rest, ":")
		if vmap == "" {
			vmap = "{}"
		}
		h.must(h.db.Create(&models.PropertyMapping{ObjectMappingID: om.ID, Position: i, PretixField: field, Property: prop, Mode: mode, ValueMapJSON: vmap}).Error)
	}
	return om.ID
}

// pos is an order position for the order builder.
type pos struct {
	id       int64
	item     int64
	price    string // default 10.00
	email    string
	given    string
	diet     []string
	topic    string
	cancel   bool
	addonTo  int64
	subevent int64
	checkins []time.Time // entry scans
}

// ord is an order for the order builder.
type ord struct {
	code, email, status, given, family, total string
	at                                        time.Time
	positions                                 []pos
	refunds                                   []map[string]any // pretix refund objects
}

var dietIDs = map[string]int64{"VEG": 101, "GF": 102, "HALAL": 103}

// addOrder stores an order as the puller would (pretix's API JSON).
func (h *harness) addOrder(o ord) int64 {
	h.t.Helper()
	if o.status == "" {
		o.status = "p"
	}
	if o.total == "" {
		o.total = "10.00"
	}
	var positions []map[string]any
	for i, p := range o.positions {
		if p.item == 0 {
			p.item = 1
		}
		if p.price == "" {
			p.price = "10.00"
		}
		var answers []map[string]any
		if len(p.diet) > 0 {
			var ids []int64
			for _, d := range p.diet {
				ids = append(ids, dietIDs[d])
			}
			answers = append(answers, map[string]any{"question": 10, "question_identifier": "DIET", "answer": strings.Join(p.diet, ", "),
				"options": ids, "option_identifiers": p.diet})
		}
		if p.topic != "" {
			answers = append(answers, map[string]any{"question": 11, "question_identifier": "TOPIC", "answer": p.topic})
		}
		pm := map[string]any{"id": p.id, "positionid": i + 1, "item": p.item, "price": p.price, "canceled": p.cancel,
			"attendee_name": strings.TrimSpace(p.given + " Attendee"), "attendee_name_parts": map[string]string{"_scheme": "given_family", "given_name": p.given, "family_name": "Attendee"},
			"attendee_email": p.email, "answers": answers}
		if p.addonTo != 0 {
			pm["addon_to"] = p.addonTo
		}
		if p.subevent != 0 {
			pm["subevent"] = p.subevent
		}
		checkins := []map[string]any{}
		for j, at := range p.checkins {
			checkins = append(checkins, map[string]any{"id": p.id*100 + int64(j), "list": 1, "datetime": at.Format(time.RFC3339), "type": "entry"})
		}
		pm["checkins"] = checkins
		positions = append(positions, pm)
	}
	raw, _ := json.Marshal(map[string]any{"code": o.code, "event": "conf", "status": o.status, "email": o.email, "locale": "en",
		"datetime": o.at.Format(time.RFC3339), "last_modified": o.at.Format(time.RFC3339), "total": o.total,
		"invoice_address": map[string]any{"name": o.given + " " + o.family, "name_parts": map[string]string{"_scheme": "given_family", "given_name": o.given, "family_name": o.family}},
		"positions":       positions, "refunds": o.refunds})
	row := models.PretixOrder{OrganizerID: 1, EventID: h.event, EventSlug: "conf", Code: o.code, Status: o.status, Email: o.email,
		Datetime: o.at, LastModified: o.at, Total: o.total, RawJSON: string(raw), FirstSeenAt: o.at, UpdatedAt: o.at}
	if id, ok := h.orders[o.code]; ok {
		// Changed in pretix since: the puller stores the new JSON.
		h.must(h.db.Model(&models.PretixOrder{}).Where("id = ?", id).Updates(map[string]any{"status": o.status, "raw_json": string(raw)}).Error)
		return id
	}
	h.must(h.db.Create(&row).Error)
	h.orders[o.code] = row.ID
	return row.ID
}

// sync queues the orders (by code) and runs the worker once.
func (h *harness) sync(codes ...string) {
	h.t.Helper()
	h.syncAs(datasync.TriggerManual, codes...)
}

// syncAs queues the orders as trigger would and runs the queue once.
func (h *harness) syncAs(trigger string, codes ...string) {
	h.t.Helper()
	ids := make([]int64, len(codes))
	for i, c := range codes {
		ids[i] = h.orders[c]
	}
	h.must(h.q.Enqueue(h.ctx, h.event, ids, ProviderName, trigger, time.Time{}))
	h.must(h.runner.RunOnce(h.ctx))
}

// job returns an order's job, nil when it is done.
func (h *harness) job(code string) *models.SyncJob {
	h.t.Helper()
	var j models.SyncJob
	err := h.db.Where("order_id = ?", h.orders[code]).Take(&j).Error
	if err == gorm.ErrRecordNotFound {
		return nil
	}
	h.must(err)
	return &j
}

// done asserts the orders' jobs finished.
func (h *harness) done(codes ...string) {
	h.t.Helper()
	for _, c := range codes {
		if j := h.job(c); j != nil {
			h.t.Errorf("order %s not synced: state %s, mode %q, error %q", c, j.State, j.FailureMode, j.LastError)
		}
	}
}

// failed asserts an order's job failed with the mode and an error containing want.
func (h *harness) failed(code, mode, want string) *models.SyncJob {
	h.t.Helper()
	j := h.job(code)
	if j == nil || j.State != models.JobFailed || j.FailureMode != mode || !strings.Contains(j.LastError, want) {
		h.t.Fatalf("order %s: job %+v; want failed %s with %q", code, j, mode, want)
	}
	return j
}

func (h *harness) results(code string) []models.SyncResult {
	var rs []models.SyncResult
	h.must(h.db.Where("order_id = ?", h.orders[code]).Order("mapping_id, position_id").Find(&rs).Error)
	return rs
}

func (h *harness) logs(code string) []models.OrderLog {
	var ls []models.OrderLog
	h.must(h.db.Where("order_id = ?", h.orders[code]).Order("id").Find(&ls).Error)
	return ls
}

// contact returns the portal's contact with the email (fails when missing).
func (h *harness) contact(hubID int64, email string) hubspotfake.Record {
	h.t.Helper()
	r, ok := h.fake.FindRecord(hubID, "contacts", "email", email)
	if !ok {
		h.t.Fatalf("no contact %s in portal %d", email, hubID)
	}
	return r
}

// requests counts the emulator's requests of an endpoint.
func (h *harness) requests(endpoint string) int { return h.fake.Stats().Requests[endpoint] }

// snapshot renders a portal's records and associations by their keys, for
// comparing two portals.
func snapshot(fake *hubspotfake.Server, hubID int64) string {
	var lines []string
	key := map[string]string{}
	for _, ot := range []string{"contacts", "deals"} {
		for _, r := range fake.Records(hubID, ot) {
			k := r.Properties["email"]
			if ot == "deals" {
				k = r.Properties["pretix_order_key"]
			}
			key[ot+r.ID] = ot + ":" + k
			var props []string
			for n, v := range r.Properties {
				switch n {
				case "hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate":
					continue
				}
				props = append(props, n+"="+v)
			}
			sort.Strings(props)
			lines = append(lines, ot+":"+k+" "+strings.Join(props, " "))
		}
	}
	for _, r := range fake.Records(hubID, "deals") {
		for id := range fake.Associations(hubID, "deals", r.ID, "contacts") {
			lines = append(lines, fmt.Sprintf("assoc %s — %s", key["deals"+r.ID], key["contacts"+id]))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
