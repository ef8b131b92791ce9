package hubspotsync

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

func simpleOrders(h *harness, emails ...string) []string {
	var codes []string
	for i, e := range emails {
		code := fmt.Sprintf("S%02d", i+1)
		h.addOrder(ord{code: code, email: e, given: "Given" + code, family: "Family", at: t0.Add(time.Duration(i) * time.Minute)})
		codes = append(codes, code)
	}
	return codes
}

// A 207 with one bad input fails only the order that contributed it, with
// HubSpot's own message; the other inputs of the same call are created.
func TestMultiStatusFailsOnlyTheBadOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	codes := simpleOrders(h, "good@example.org", "broken@@example", "fine@example.org")
	h.sync(codes...)

	h.done("S01", "S03")
	j := h.failed("S02", models.FailurePermanent, "Email address broken@@example is invalid")
	if !strings.Contains(j.LastErrorJSON, `"category":"VALIDATION_ERROR"`) || !strings.Contains(j.LastErrorJSON, `"codes":["INVALID_EMAIL"]`) {
		t.Errorf("error details not kept: %s", j.LastErrorJSON)
	}
	logs := h.logs("S02")
	if len(logs) != 1 || logs[0].Kind != datasync.LogError ||
		!strings.HasPrefix(logs[0].Message, "Error while transferring data to HubSpot: Email address broken@@example is invalid") {
		t.Errorf("S02 history = %+v", logs)
	}
	if n := len(h.fake.Records(hubA, "contacts")); n != 2 || h.requests(epCreate) != 1 {
		t.Errorf("%d contacts in %d create calls, want 2 in 1", n, h.requests(epCreate))
	}
}

// A batch HubSpot rejects as a whole is bisected until the bad record is
// found; the seven good ones are written.
func TestWholeBatchRejectionIsBisected(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	var creates atomic.Int32
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !strings.HasSuffix(r.URL.Path, "/contacts/batch/create") {
			return false
		}
		creates.Add(1)
		if !bytes.Contains(body, []byte("poison@example.org")) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","message":"Invalid input: the address poison@example.org is blocked","correlationId":"c0ffee-42","category":"VALIDATION_ERROR"}`)
		return true
	})
	codes := simpleOrders(h, "a@example.org", "b@example.org", "c@example.org", "poison@example.org",
		"d@example.org", "e@example.org", "f@example.org", "g@example.org")
	h.sync(codes...)

	j := h.failed("S04", models.FailurePermanent, "Invalid input: the address poison@example.org is blocked")
	if !strings.Contains(j.LastErrorJSON, `"correlation_id":"c0ffee-42"`) {
		t.Errorf("correlation id lost: %s", j.LastErrorJSON)
	}
	h.done("S01", "S02", "S03", "S05", "S06", "S07", "S08")
	if n := len(h.fake.Records(hubA, "contacts")); n != 7 {
		t.Errorf("%d contacts, want 7", n)
	}
	// 8 → 4+4 → 2+2 → 1+1: seven calls, not one per record.
	if n := creates.Load(); n != 7 {
		t.Errorf("%d create calls, want 7", n)
	}
}

// A 409 on create means someone created the record between our read and
// our write: it is read again and updated, and nothing is duplicated.
func TestConflictOnCreateRereadsAndUpdates(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	var raced atomic.Bool
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/contacts/batch/create") && !raced.Swap(true) {
			h.fake.SeedRecord(hubA, "contacts", map[string]string{"email": "race@example.org", "firstname": "Someone", "orders": "X1"})
		}
		return false
	})
	codes := simpleOrders(h, "calm@example.org", "race@example.org")
	h.sync(codes...)

	h.done(codes...)
	if st := h.fake.Stats().Statuses[http.StatusMultiStatus]; st == 0 {
		t.Fatal("the emulator never answered 207: the race did not happen")
	}
	n := 0
	for _, r := range h.fake.Records(hubA, "contacts") {
		if r.Properties["email"] == "race@example.org" {
			n++
		}
	}
	got := h.contact(hubA, "race@example.org").Properties
	if n != 1 || got["firstname"] != "GivenS02" || got["orders"] != "X1;S02" || got["first_order"] != "" {
		t.Errorf("%d records; race@ = %v; want one, updated as an existing record", n, got)
	}
	if rs := h.results("S02"); len(rs) == 0 || rs[0].Action != actionUpdated {
		t.Errorf("S02 results %+v", rs)
	}
}

// Burst 429s are waited out inside the run and cost no attempt.
func TestBurstRateLimitsCostNoAttempt(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.standardMappings()
	codes := h.randomOrders(12, 5)
	h.fake.SetFaults(hubspotfake.Faults{RateLimitRate: 0.4})
	h.sync(codes...)
	st := h.fake.Stats()
	if st.Faults == 0 || st.Statuses[http.StatusTooManyRequests] == 0 {
		t.Fatalf("no 429 was injected: %+v", st)
	}
	var pending int64
	h.must(h.db.Model(&models.SyncJob{}).Where("state = ?", models.JobPending).Count(&pending).Error)
	if pending != 0 {
		t.Errorf("%d jobs left pending after 429s: %s", pending, h.outcomes(codes))
	}
}

// The daily limit parks the jobs until the portal's midnight without
// spending an attempt; they run once the limit resets.
func TestDailyLimitWaitsWithoutSpendingAttempts(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	codes := simpleOrders(h, "a@example.org", "b@example.org")
	h.fake.SetRateLimit(hubspotfake.RateLimit{Daily: 1})
	h.sync(codes...)

	berlin, _ := time.LoadLocation("Europe/Berlin")
	l := h.clock.Now().In(berlin)
	midnight := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, berlin)
	for _, c := range codes {
		j := h.job(c)
		if j == nil || j.State != models.JobPending || j.Attempts != 0 || !j.NotBefore.Equal(midnight) ||
			!strings.Contains(j.WaitReason, "daily API limit") {
			t.Fatalf("%s: %+v; want pending until %v without attempts", c, j, midnight)
		}
	}
	h.fake.SetRateLimit(hubspotfake.RateLimit{})
	h.clock.Advance(midnight.Sub(h.clock.Now()) + time.Second)
	h.must(h.runner.RunOnce(h.ctx))
	h.done(codes...)
}

// An access token that expires in the middle of a run is refreshed by the
// client; the run goes on.
func TestAccessTokenExpiringMidRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.standardMappings()
	codes := h.randomOrders(6, 9)
	var expired atomic.Bool
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !strings.HasSuffix(r.URL.Path, "/batch/read") || expired.Swap(true) {
			return false
		}
		h.fake.Handler().ServeHTTP(w, r)
		h.fake.ExpireAccessTokens(hubA)
		return true
	})
	refreshes := h.requests("POST /oauth/{version}/token")
	h.sync(codes...)
	h.done(codes...)
	if !expired.Load() || h.fake.Stats().Statuses[http.StatusUnauthorized] == 0 {
		t.Fatal("the token never expired mid-run")
	}
	if got := h.requests("POST /oauth/{version}/token"); got != refreshes+1 {
		t.Errorf("%d token requests during the run, want one refresh", got-refreshes)
	}
}

// HubSpot failing with 5xx every time: the job backs off and after the
// attempt budget ends as "exceeded", with one history entry.
func TestServerErrorsUntilRetryLimitExceeded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	codes := simpleOrders(h, "a@example.org")
	h.fake.SetFaults(hubspotfake.Faults{ServerErrorRate: 1})
	h.sync(codes...)
	for attempt := 1; ; attempt++ {
		j := h.job("S01")
		if j == nil {
			t.Fatal("job vanished")
		}
		if j.State == models.JobFailed {
			if attempt != datasync.DefaultRetryPolicy.MaxAttempts || j.FailureMode != models.FailureExceeded || j.Attempts != 5 {
				t.Fatalf("after %d runs: %+v", attempt, j)
			}
			break
		}
		if j.State != models.JobPending || j.Attempts != attempt || !j.NotBefore.After(h.clock.Now()) || j.LastError == "" {
			t.Fatalf("after run %d: %+v", attempt, j)
		}
		if attempt > 10 {
			t.Fatal("never gave up")
		}
		h.clock.Advance(j.NotBefore.Sub(h.clock.Now()) + time.Second)
		h.must(h.runner.RunOnce(h.ctx))
	}
	logs := h.logs("S01")
	if len(logs) != 1 || !strings.HasPrefix(logs[0].Message, "Error while transferring data to HubSpot: ") {
		t.Errorf("history = %+v; want one error entry for the last attempt", logs)
	}
}

// A scope missing at call time (403 MISSING_SCOPES) is a misconfiguration.
func TestMissingScopeIsMisconfiguration(t *testing.T) {
	const token = "pat-na1-test-token"
	all := append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...)
	h := newHarness(t, harnessOpts{fake: hubspotfake.Options{StaticTokens: []hubspotfake.StaticToken{{Token: token, HubID: hubA, Scopes: all}}}})
	h.addProperties(hubA)
	_, err := h.hs.ConnectEventStatic(h.ctx, h.event, token, hubA)
	h.must(err)
	_, err = h.providers.SetEnabled(h.ctx, h.event, ProviderName, true)
	h.must(err)
	h.standardMappings()
	codes := simpleOrders(h, "a@example.org")
	var fewer []string
	for _, s := range all {
		if s != "crm.objects.deals.write" {
			fewer = append(fewer, s)
		}
	}
	h.fake.AddStaticToken(hubspotfake.StaticToken{Token: token, HubID: hubA, Scopes: fewer})
	h.sync(codes...)
	h.failed("S01", models.FailureConfig, "crm.objects.deals.write")
}

// An option without value-map entry fails its order as misconfiguration
// before anything of it is written; the others sync.
func TestMissingValueMapEntryIsMisconfiguration(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, "order_code>last_order:overwrite")
	h.mapping(2, models.SourcePosition, "contacts", "attendee_email", "email", nil, `question_DIET>diets:append:{"VEG":"vegetarian","GF":"glutenfree"}`)
	h.addOrder(ord{code: "M1", email: "m1@example.org", at: t0, positions: []pos{{id: 1, email: "m1@example.org", diet: []string{"VEG"}}}})
	h.addOrder(ord{code: "M2", email: "m2@example.org", at: t0.Add(time.Minute), positions: []pos{{id: 2, email: "x@example.org", diet: []string{"HALAL", "GF"}}}})
	h.sync("M1", "M2")
	h.done("M1")
	j := h.failed("M2", models.FailureConfig, "Value map: pretix option “HALAL” has no HubSpot value. Edit the value mapping.")
	if j.Attempts != 1 {
		t.Errorf("attempts = %d", j.Attempts)
	}
	if _, ok := h.fake.FindRecord(hubA, "contacts", "email", "m2@example.org"); ok {
		t.Error("the failed order's contact was written")
	}
}

// An event whose portal needs reconnecting parks its jobs as
// misconfiguration; after reconnecting, Retry syncs them.
func TestNeedsReconnectParksJobsUntilRetry(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.contactMappings()
	codes := simpleOrders(h, "a@example.org")
	_, err := h.providers.SetEnabled(h.ctx, h.event, ProviderName, true)
	h.must(err)
	h.sync(codes...)
	h.failed("S01", models.FailureConfig, "This event is not connected to HubSpot")

	h.connect(hubA)
	h.must(h.db.Model(&models.HubSpotConnection{}).Where("hub_id = ?", hubA).Update("state", models.HubSpotStateNeedsReconnect).Error)
	h.sync(codes...)
	h.failed("S01", models.FailureConfig, "needs to be renewed")

	h.connect(hubA)
	j := h.job("S01")
	_, err = h.q.Retry(h.ctx, []int64{j.ID})
	h.must(err)
	h.must(h.runner.RunOnce(h.ctx))
	h.done(codes...)
}

// Deals are associated with the buyer and with every attendee's contact.
func TestAssociations(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.standardMappings()
	h.addOrder(ord{code: "A1", email: "buyer@example.org", at: t0, positions: []pos{
		{id: 1, email: "att1@example.org"}, {id: 2, email: "att2@example.org"}, {id: 3}, {id: 4, email: "buyer@example.org"}}})
	h.sync("A1")
	h.done("A1")
	deal, ok := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-A1")
	if !ok {
		t.Fatal("no deal")
	}
	got := h.fake.Associations(hubA, "deals", deal.ID, "contacts")
	for _, e := range []string{"buyer@example.org", "att1@example.org", "att2@example.org"} {
		if _, ok := got[h.contact(hubA, e).ID]; !ok {
			t.Errorf("deal not associated with %s: %v", e, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("deal has %d contacts, want 3", len(got))
	}
	if n := h.requests("POST /crm/associations/{version}/contacts/deals/batch/associate/default") +
		h.requests("POST /crm/associations/{version}/deals/contacts/batch/associate/default"); n != 1 {
		t.Errorf("%d association calls, want 1", n)
	}
}

// An order placed in pretix reaches HubSpot on its own: webhook → fetch →
// ingest → enqueue rules → poke → worker → HubSpot, with its result and
// history entry stored; an order placed before the integration was
// activated is not queued.
func TestWebhookOrderIsSyncedWithinSeconds(t *testing.T) {
	// The first pull happens before the engine exists: nothing to queue yet.
	var enqueuer atomic.Pointer[datasync.Enqueuer]
	listener := pretix.ListenerFunc(func(ctx context.Context, cs []pretix.OrderChange) {
		if e := enqueuer.Load(); e != nil {
			e.OrdersChanged(ctx, cs)
		}
	})
	w := newBenchWorld(t, 3, listener, pretixfake.Options{WebhookRetrySchedule: []time.Duration{time.Second}})
	h := w.harness
	enqueuer.Store(datasync.NewEnqueuer(h.db, h.q, h.runner.Poke, quiet))
	h.connect(hubA)
	h.standardSet()
	w.webhook()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.runner.Work(ctx) }()
	defer func() { cancel(); <-done }()

	rnd := mrand.New(mrand.NewSource(3))
	var o pretixfake.Order
	for o.Code == "" || o.Testmode {
		var err error
		o, err = w.pfake.PlaceRandomOrder(benchOrg, "conf", rnd)
		h.must(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-"+o.Code); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s did not reach HubSpot", o.Code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitIdle(t, h)
	var row models.PretixOrder
	h.must(h.db.Where("code = ?", o.Code).Take(&row).Error)
	h.orders[o.Code] = row.ID
	if rs := h.results(o.Code); len(rs) < 2 || rs[0].ExternalLink == "" {
		t.Errorf("results %+v", rs)
	}
	var kinds []string
	for _, l := range h.logs(o.Code) {
		kinds = append(kinds, l.Kind)
	}
	if !strings.Contains(strings.Join(kinds, ","), datasync.LogTransferred) {
		t.Errorf("history kinds %v", kinds)
	}
	// The generated orders were placed before HubSpot was connected.
	var n int64
	h.must(h.db.Model(&models.SyncResult{}).Where("order_id <> ?", row.ID).Count(&n).Error)
	if n != 0 {
		t.Errorf("%d results for orders placed before activation", n)
	}
}

// From the 2026-09 API version on HubSpot enforces an admin's validation
// rules on API writes: a deal its rule refuses fails only its own order, as
// a permanent error with HubSpot's message; the other orders are written.
func TestValidationRuleFailsOnlyItsOwnOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.standardSet()
	h.fake.AddValidationRule(hubA, hubspotfake.ValidationRule{ObjectType: "deals", Property: "description",
		When: map[string]string{"dealstage": "closedlost"}})
	codes := h.randomOrders(24, 5)
	h.sync(codes...)
	canceled := 0
	for _, c := range codes {
		var o models.PretixOrder
		h.must(h.db.First(&o, h.orders[c]).Error)
		_, hasDeal := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-"+c)
		j := h.job(c)
		if o.Status == "c" {
			canceled++
			if j == nil || j.FailureMode != models.FailurePermanent || !strings.Contains(j.LastError, "description is required when dealstage is closedlost") {
				t.Errorf("canceled order %s: job %+v, want a permanent failure with HubSpot's message", c, j)
			}
			if hasDeal {
				t.Errorf("canceled order %s has a deal although the rule refuses it", c)
			}
			continue
		}
		if j != nil || !hasDeal {
			t.Errorf("order %s (status %s): job %+v, deal %v; want it synced", c, o.Status, j, hasDeal)
		}
	}
	if canceled == 0 || canceled == len(codes) {
		t.Fatalf("%d of %d orders canceled: the scenario needs both", canceled, len(codes))
	}
}
