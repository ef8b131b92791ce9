package pretix

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
)

func TestPullManyPagesAndCatalogue(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 263)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	live := liveOrders(e)
	stored := h.organizer(t, org.ID)
	if stored.LastPullStatus != models.PullStatusOK || stored.LastPullOrders != live || stored.OrdersEndpoint != ModeOrganizer {
		t.Fatalf("pull status %+v", stored)
	}
	if h.count(t, "pretix_orders") != live {
		t.Fatalf("%d stored, want %d", h.count(t, "pretix_orders"), live)
	}
	if pages := e.Fake.RequestCount(pretixfake.EndpointOrganizerOrders); pages < (live+49)/50 {
		t.Fatalf("%d order list requests for %d orders", pages, live)
	}
	// The cursor is the first page's server time minus the 5 minute overlap.
	if stored.PullCursor == nil || !stored.PullCursor.Equal(t0.Add(-DefaultOverlap)) {
		t.Fatalf("cursor %v, want %v", stored.PullCursor, t0.Add(-DefaultOverlap))
	}
	var evs []models.PretixEvent
	h.db.Order("slug").Find(&evs)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	conf := evs[0]
	var items, questions, lists []json.RawMessage
	json.Unmarshal([]byte(conf.ItemsJSON), &items)
	json.Unmarshal([]byte(conf.QuestionsJSON), &questions)
	json.Unmarshal([]byte(conf.CheckinListsJSON), &lists)
	if len(items) != 4 || len(questions) != 13 || len(lists) != 2 || conf.RefreshedAt == nil {
		t.Fatalf("catalogue: %d items, %d questions, %d lists", len(items), len(questions), len(lists))
	}
	if conf.NameScheme != "title_given_middle_family" || conf.LocalesJSON != `["en","de"]` || conf.SettingsSource != "api" ||
		conf.Currency != "EUR" || conf.Timezone != "Europe/Berlin" || !strings.Contains(conf.NameJSON, "Konferenz") {
		t.Fatalf("event %+v", conf)
	}
	var subs []json.RawMessage
	json.Unmarshal([]byte(evs[1].SubeventsJSON), &subs)
	if !evs[1].HasSubevents || len(subs) != 3 {
		t.Fatalf("series has %d sub-events", len(subs))
	}
	// A second pull right away does not fetch the catalogue again.
	before := e.Fake.RequestCount(pretixfake.EndpointItems)
	res, err := h.svc.PullOrganizer(context.Background(), org.ID)
	if err != nil || res.CataloguesRefreshed != 0 || e.Fake.RequestCount(pretixfake.EndpointItems) != before {
		t.Fatalf("second pull refreshed catalogues: %+v %v", res, err)
	}
}

func TestOrderModifiedWhilePagingIsPickedUpNext(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	var modify atomic.Pointer[func()]
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, Clock: fc, BeforeRequest: func(r *http.Request) {
		if r.URL.Query().Get("page") == "2" && strings.HasSuffix(r.URL.Path, "/organizers/acme/orders/") {
			if f := modify.Swap(nil); f != nil {
				(*f)()
			}
		}
	}}, 150)
	// No overlap: the cursor alone must catch the change.
	h := newHarness(t, e, Config{Overlap: -1})
	codes := e.Fake.Orders(testOrg)
	var target string
	for _, ref := range codes[:40] {
		if o, _ := e.Fake.Order(testOrg, ref.Event, ref.Code); !o.Testmode {
			target = ref.Code
			break
		}
	}
	f := func() {
		// While the client reads page 2, an order from page 1 changes.
		fc.Advance(time.Second)
		if _, err := e.Fake.ModifyOrder(testOrg, "conf", target, "", func(o *pretixfake.Order) { o.Email = pretixfake.Str("late@example.org") }); err != nil {
			t.Error(err)
		}
	}
	modify.Store(&f)
	org := h.connect(t)
	var o models.PretixOrder
	h.db.Where("code = ?", target).First(&o)
	if o.Email == "late@example.org" {
		t.Fatal("the first pull already saw the change; the test does not test the cursor")
	}
	stored := h.organizer(t, org.ID)
	if !stored.PullCursor.Equal(t0) {
		t.Fatalf("cursor %v, want the first page's X-Page-Generated %v", stored.PullCursor, t0)
	}
	h.rec.reset()
	res, err := h.svc.PullOrganizer(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.db.Where("code = ?", target).First(&o)
	if o.Email != "late@example.org" || res.Changed != 1 || res.New != 0 {
		t.Fatalf("second pull: email %q, %+v", o.Email, res)
	}
	if c := h.rec.byCode()[target]; !c.Kinds.Has(ChangeContact) {
		t.Fatalf("change %+v", c)
	}
	// The second pull asked only for orders modified since the cursor
	// (inclusive: the generator caps some last_modified at exactly t0).
	if res.Orders >= 10 || res.Unchanged != res.Orders-1 {
		t.Fatalf("second pull %+v, want only orders modified at or after the cursor", res)
	}
}

func TestPullSurvives429And5xx(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	e := newEmu(t, pretixfake.Options{Clock: fc, RateLimitPerMinute: 60, RateLimitBurst: 3, Rand: rand.New(rand.NewSource(4))}, 400)
	e.Fake.SetFaults(pretixfake.Faults{ErrorRate: 0.2})
	h := newHarness(t, e, Config{Clock: fc, RateLimit: -1})
	stop := advanceWhileBlocked(fc, 250*time.Millisecond)
	defer stop()
	org := h.connect(t)
	if h.count(t, "pretix_orders") != liveOrders(e) {
		t.Fatalf("%d orders stored", h.count(t, "pretix_orders"))
	}
	if st := h.organizer(t, org.ID).LastPullStatus; st != models.PullStatusOK {
		t.Fatalf("status %s", st)
	}
	var limited, failed int
	for _, r := range e.Fake.RequestLog(testOrg) {
		switch {
		case r.Status == 429:
			limited++
		case r.Status >= 500:
			failed++
		}
	}
	if limited == 0 || failed == 0 {
		t.Fatalf("%d 429s and %d 5xx: the faults did not happen", limited, failed)
	}
}

func TestPullFailureIsRecordedAndCursorKept(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 30)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	cursor := h.organizer(t, org.ID).PullCursor
	e.Fake.RemoveToken(testToken)
	_, err := h.svc.PullOrganizer(context.Background(), org.ID)
	if !pretixapi.HasCode(err, pretixapi.CodeTokenInvalid) {
		t.Fatalf("err = %v", err)
	}
	st := h.organizer(t, org.ID)
	if st.LastPullStatus != models.PullStatusError || st.LastPullErrorCode != pretixapi.CodeTokenInvalid ||
		!strings.Contains(st.LastPullError, "rejected the API token") || !st.PullCursor.Equal(*cursor) {
		t.Fatalf("organizer after failed pull %+v", st)
	}
	v, _ := h.svc.Get(context.Background(), org.ID)
	if v.Pull.State != models.PullStatusError || v.Pull.ErrorCode != pretixapi.CodeTokenInvalid || v.Pull.LastSuccessAt == nil {
		t.Fatalf("view %+v", v.Pull)
	}
	// A failure in the middle of the pages does not move the cursor either.
	e.Fake.AddToken(testOrg, testToken, pretixfake.Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true})
	e.Fake.SetFaults(pretixfake.Faults{ErrorRate: 1})
	if _, err := h.svc.PullOrganizer(context.Background(), org.ID); !pretixapi.HasCode(err, pretixapi.CodeServerError) {
		t.Fatalf("err = %v", err)
	}
	if st := h.organizer(t, org.ID); !st.PullCursor.Equal(*cursor) {
		t.Fatal("cursor moved after a failed pull")
	}
}

func TestPullFallsBackToEventsOnOldPretix(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, LegacyNoOrganizerOrders: true}, 70)
	if _, err := e.Fake.GenerateOrders(testOrg, "series", 20, rand.New(rand.NewSource(2))); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	if n := h.count(t, "pretix_orders"); n != liveOrders(e) {
		t.Fatalf("%d of %d orders stored", n, liveOrders(e))
	}
	st := h.organizer(t, org.ID)
	if st.OrdersEndpoint != ModeEvent || st.PullCursor != nil {
		t.Fatalf("organizer %+v", st)
	}
	var evs []models.PretixEvent
	h.db.Find(&evs)
	for _, ev := range evs {
		if ev.PullCursor == nil || !ev.PullCursor.Equal(t0.Add(-DefaultOverlap)) {
			t.Fatalf("event %s cursor %v", ev.Slug, ev.PullCursor)
		}
	}
	var o models.PretixOrder
	h.db.Where("event_slug = ?", "series").First(&o)
	if o.ID == 0 {
		t.Fatal("series orders not stored under their event")
	}
}

func TestCatalogueFallbackWithoutSettingsPermission(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 40)
	e.Fake.AddToken(testOrg, "tok-nosettings", pretixfake.Team{AllEvents: true, CanViewOrders: true})
	h := newHarness(t, e, Config{})
	org, err := h.svc.Create(context.Background(), ConnectInput{BaseURL: e.HTTP.URL, Token: "tok-nosettings"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.PullOrganizer(context.Background(), org.ID); err != nil {
		t.Fatal(err)
	}
	var ev models.PretixEvent
	h.db.Where("slug = ?", "conf").First(&ev)
	if ev.SettingsSource != "inferred" || ev.LocalesJSON != `["de","en"]` || ev.SettingsJSON != "{}" {
		t.Fatalf("inferred settings: source %q locales %s", ev.SettingsSource, ev.LocalesJSON)
	}
	// The scheme comes from the orders: the event's scheme, or an older one
	// an order still carries.
	if _, ok := pretixfake.NameSchemeParts[ev.NameScheme]; !ok || ev.NameScheme == "" {
		t.Fatalf("name scheme %q", ev.NameScheme)
	}
	var series models.PretixEvent
	h.db.Where("slug = ?", "series").First(&series)
	if series.NameScheme != "full" {
		t.Fatalf("event without orders: scheme %q, want pretix's default full", series.NameScheme)
	}
}

func TestInterruptedPullIsReportedAtStart(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 3)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	h.db.Model(&models.PretixOrganizer{}).Where("id = ?", org.ID).UpdateColumn("last_pull_status", models.PullStatusRunning)
	svc := NewService(Config{DB: h.db, Box: h.box, Log: quietLog})
	defer svc.Close()
	v, err := svc.Get(context.Background(), org.ID)
	if err != nil || v.Pull.State != models.PullStatusError || v.Pull.ErrorCode != "pretix_pull_interrupted" || v.Pull.Running {
		t.Fatalf("%+v %v", v.Pull, err)
	}
}
