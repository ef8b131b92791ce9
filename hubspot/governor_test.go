package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

func TestDailyLimitPausesPortalUntilLocalMidnight(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{RateLimit: hubspotfake.RateLimit{Daily: 4}}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU) // the account-details call during connect counts too
	for i := 0; i < 3; i++ {
		if _, err := cl.AccountDetails(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := cl.AccountDetails(ctx)
	// Europe/Berlin: the fake clock's 2026-11-20 10:00 UTC is 11:00 local;
	// the next local midnight is 23:00 UTC.
	midnight := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)
	at, ok := RetryAt(err)
	if ClassOf(err) != ClassRateLimit || !ok || !at.Equal(midnight) {
		t.Fatalf("err = %v, retry at %v, want %v", err, at, midnight)
	}
	if ae := err.(*Error).AppErr(); ae.Code != "hubspot_rate_limited" || !strings.Contains(ae.Message, "daily") {
		t.Errorf("user message = %+v", ae)
	}
	st := h.svc.Governor().State(hubEU)
	if st.Reason != PauseDaily || !st.PausedUntil.Equal(midnight) || st.Policy != "DAILY" || st.RateLimited != 1 {
		t.Errorf("state = %+v", st)
	}
	// While paused, calls return at once without a request, for every caller.
	before := h.fake.Stats().Total
	other, _ := h.svc.Client(ctx, hubEU)
	for _, c := range []*Client{cl, other} {
		if _, err := c.Pipelines(ctx, Deals); ClassOf(err) != ClassRateLimit {
			t.Errorf("paused call: %v", err)
		}
	}
	if n := h.fake.Stats().Total - before; n != 0 {
		t.Errorf("%d requests while paused", n)
	}
	h.clock.Advance(13 * time.Hour)
	if _, err := cl.Pipelines(ctx, Deals); err != nil {
		t.Errorf("after midnight: %v", err)
	}
	if st := h.svc.Governor().State(hubEU); st.Reason != "" || !st.PausedUntil.IsZero() {
		t.Errorf("state after midnight = %+v", st)
	}
}

func TestDailyRemainingHeaderPausesBeforeA429(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{RateLimit: hubspotfake.RateLimit{Daily: 3},
		StaticTokens: []hubspotfake.StaticToken{{Token: "key", HubID: hubEU, Scopes: allScopes}}}, nil)
	ctx := context.Background()
	if _, err := h.svc.ConnectStatic(ctx, "key", 0); err != nil { // account details + token info: 1 counted call
		t.Fatal(err)
	}
	cl, _ := h.svc.Client(ctx, hubEU)
	for i := 0; i < 2; i++ {
		if _, err := cl.AccountDetails(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := cl.AccountDetails(ctx); ClassOf(err) != ClassRateLimit {
		t.Fatalf("after Daily-Remaining 0: %v", err)
	}
	if n := h.fake.Stats().RateLimited; n != 0 {
		t.Errorf("%d 429s: the header should have paused us first", n)
	}
	if st := h.svc.Governor().State(hubEU); st.Reason != PauseDaily || st.DailyRemaining != 0 {
		t.Errorf("state = %+v", st)
	}
}

// waitForWaiters blocks until n goroutines wait on the fake clock.
func waitForWaiters(t *testing.T, h *harness, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.clock.BlockUntilContext(ctx, n); err != nil {
		t.Fatal("nothing waits on the clock")
	}
}

// A burst 429 pauses the portal from a second, doubling with each further
// one up to the window (reference §6), and never spends an attempt.
func TestTenSecondly429WaitsWithoutSpendingAnAttempt(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, func(o *Options) { o.Retry.MaxAttempts = 1 })
	ctx := context.Background()
	cl := h.connect(hubEU)
	h.fake.SetFaults(hubspotfake.Faults{RateLimitRate: 1})
	done := make(chan error, 1)
	go func() { _, err := cl.Pipelines(ctx, Deals); done <- err }()
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second} {
		waitForWaiters(t, h, 1)
		st := h.svc.Governor().State(hubEU)
		if got := st.PausedUntil.Sub(h.clock.Now()); st.Reason != PauseTenSecondly || got != want {
			t.Fatalf("after 429 number %d: paused for %v (%s), want %v", i+1, got, st.Reason, want)
		}
		if i == 4 {
			break
		}
		h.clock.Advance(want)
	}
	h.fake.SetFaults(hubspotfake.Faults{})
	h.clock.Advance(9 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("returned before the pause passed: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	h.clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatalf("after the wait: %v (a rate-limit wait must not count as an attempt)", err)
	}
	if n := h.count("GET /crm/pipelines/{version}/deals"); n != 6 {
		t.Errorf("requests = %d, want 6", n)
	}
}

func TestLockedRetriedAfterTwoSeconds(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	h.fake.SetFaults(hubspotfake.Faults{LockedRate: 1})
	done := make(chan error, 1)
	go func() {
		_, err := cl.BatchCreate(ctx, Contacts, []CreateInput{{TraceID: "t", Properties: map[string]string{"email": "l@example.org"}}})
		done <- err
	}()
	waitForWaiters(t, h, 1)
	h.fake.SetFaults(hubspotfake.Faults{})
	h.clock.Advance(1999 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("retried within 2 s: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	h.clock.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := h.fake.FindRecord(hubEU, "contacts", "email", "l@example.org"); !ok {
		t.Error("not created after the 423")
	}
}

func TestServerErrorsBackOffBounded(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{Seed: 3}, nil)
	h.autoAdvance(50 * time.Millisecond)
	ctx := context.Background()
	cl := h.connect(hubEU)
	h.fake.SetFaults(hubspotfake.Faults{ServerErrorRate: 1})
	start := h.clock.Now()
	_, err := cl.Pipelines(ctx, Deals)
	if ClassOf(err) != ClassTemporary || err.(*Error).Status < 500 {
		t.Fatalf("err = %v", err)
	}
	if n := h.count("GET /crm/pipelines/{version}/deals"); n != 4 {
		t.Errorf("attempts = %d, want 4", n)
	}
	// Backoff 0.5, 1, 2 s with jitter in [d/2, d): between 1.75 and 3.5 s.
	if d := h.clock.Since(start); d < 1750*time.Millisecond || d > 4*time.Second {
		t.Errorf("backoff took %v", d)
	}
	// A create is never resent after an ambiguous failure.
	_, err = cl.BatchCreate(ctx, Contacts, []CreateInput{{TraceID: "t", Properties: map[string]string{"email": "x@example.org"}}})
	if ClassOf(err) != ClassTemporary || h.count("POST /crm/objects/{version}/contacts/batch/create") != 1 {
		t.Errorf("create: %v after %d requests", err, h.count("POST /crm/objects/{version}/contacts/batch/create"))
	}
	// Connection resets: idempotent calls retry, creates do not.
	h.fake.SetFaults(hubspotfake.Faults{ResetRate: 1})
	if _, err := cl.BatchRead(ctx, Contacts, "email", []string{"a@b.org"}, nil); ClassOf(err) != ClassTemporary {
		t.Errorf("read over resets: %v", err)
	}
	if n := h.count("POST /crm/objects/{version}/contacts/batch/read"); n != 4 {
		t.Errorf("read attempts = %d", n)
	}
	h.fake.SetFaults(hubspotfake.Faults{ServerErrorRate: 0.5})
	if _, err := cl.Pipelines(ctx, Deals); err != nil {
		t.Errorf("with 50%% faults the retries should get through: %v", err)
	}
}

func TestMigrationHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	retryAfter := "120"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(477)
			_, _ = w.Write([]byte(`{"status":"error","message":"Migration in progress","category":"MIGRATION_IN_PROGRESS"}`))
			return
		}
		_, _ = w.Write([]byte(`{"portalId":24681357,"timeZone":"UTC","uiDomain":"app.hubspot.com"}`))
	}))
	defer srv.Close()
	h := newHarness(t, hubspotfake.Options{}, func(o *Options) { o.APIBaseURL = srv.URL })
	ctx := context.Background()
	if _, err := h.svc.store.save(ctx, newConnection{hubID: hubEU, kind: models.HubSpotKindStatic, access: "k", scopes: allScopes}); err != nil {
		t.Fatal(err)
	}
	cl, _ := h.svc.Client(ctx, hubEU)
	_, err := cl.AccountDetails(ctx)
	at, _ := RetryAt(err)
	if ClassOf(err) != ClassRateLimit || !at.Equal(h.clock.Now().Add(120*time.Second)) {
		t.Fatalf("err = %v, retry at %v", err, at)
	}
	if st := h.svc.Governor().State(hubEU); st.Reason != PauseMigration {
		t.Errorf("state = %+v", st)
	}
	h.clock.Advance(121 * time.Second)
	if _, err := cl.AccountDetails(ctx); err != nil || calls.Load() != 2 {
		t.Errorf("after Retry-After: %v, %d calls", err, calls.Load())
	}
}
