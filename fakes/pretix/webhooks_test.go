package pretixfake

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type receiver struct {
	mu       sync.Mutex
	payloads []WebhookPayload
	status   atomic.Int32
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	rc := &receiver{}
	rc.status.Store(200)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p WebhookPayload
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook %s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&p)
		rc.mu.Lock()
		rc.payloads = append(rc.payloads, p)
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(hs.Close)
	return rc, hs
}

func waitHooks(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitWebhooks(ctx); err != nil {
		t.Fatal("webhooks still in flight:", err)
	}
}

func TestWebhookPayloadsAndFilters(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	all, allSrv := newReceiver(t)
	some, someSrv := newReceiver(t)
	if _, err := f.srv.AddWebhook("acme", Webhook{TargetURL: allSrv.URL, AllEvents: true}); err != nil {
		t.Fatal(err)
	}
	f.srv.AddWebhook("acme", Webhook{TargetURL: someSrv.URL, LimitEvents: []string{"conf"},
		ActionTypes: []string{"pretix.event.order.paid", "pretix.event.order.changed.*"}})
	rnd := rand.New(rand.NewSource(5))
	o, _ := f.srv.PlaceRandomOrder("acme", "conf", rnd)
	f.srv.MarkPaid("acme", "conf", o.Code)
	f.srv.ModifyOrder("acme", "conf", o.Code, "pretix.event.order.changed.price", func(*Order) {})
	f.srv.PlaceRandomOrder("acme", "series", rnd)
	waitHooks(t, f.srv)

	if len(all.payloads) != 5 {
		t.Fatalf("all-events webhook got %d notifications, want 5: %+v", len(all.payloads), all.payloads)
	}
	ids := map[int64]bool{}
	for _, p := range all.payloads {
		if p.Organizer != "acme" || p.Code == "" || p.Event == "" || p.NotificationID == 0 || ids[p.NotificationID] {
			t.Fatalf("bad payload %+v", p)
		}
		ids[p.NotificationID] = true
	}
	got := map[string]bool{}
	for _, p := range some.payloads {
		got[p.Action] = true
	}
	if len(some.payloads) != 2 || !got["pretix.event.order.paid"] || !got["pretix.event.order.changed.price"] {
		t.Fatalf("filtered webhook got %+v", some.payloads)
	}
}

func TestWebhookRetriesOnPretixSchedule(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	rc, hs := newReceiver(t)
	rc.status.Store(500)
	f.srv.AddWebhook("acme", Webhook{TargetURL: hs.URL, AllEvents: true})
	o, _ := f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(1)))
	waitHooks(t, f.srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// First retry after 5 s, second after another 30 s.
	for i, wait := range []time.Duration{5 * time.Second, 30 * time.Second} {
		if err := f.clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal("no retry scheduled:", err)
		}
		f.clock.Advance(wait - time.Millisecond)
		waitHooks(t, f.srv)
		if n := len(f.srv.WebhookDeliveries()); n != i+1 {
			t.Fatalf("delivered %d times before the %v back-off ended", n, wait)
		}
		if i == 1 {
			rc.status.Store(204)
		}
		f.clock.Advance(time.Millisecond)
		waitHooks(t, f.srv)
	}
	d := f.srv.WebhookDeliveries()
	if len(d) != 3 || d[0].StatusCode != 500 || d[2].StatusCode != 204 || d[2].Attempt != 3 || d[2].NotificationID != d[0].NotificationID {
		t.Fatalf("deliveries %+v", d)
	}
	if d[1].At.Sub(d[0].At) != 5*time.Second || d[2].At.Sub(d[1].At) != 30*time.Second {
		t.Fatalf("retry times %v %v", d[1].At.Sub(d[0].At), d[2].At.Sub(d[1].At))
	}
	_ = o
	// Delivered: nothing is scheduled any more.
	f.clock.Advance(48 * time.Hour)
	waitHooks(t, f.srv)
	if len(f.srv.WebhookDeliveries()) != 3 {
		t.Fatal("delivered again after success")
	}
}

func TestWebhookGoneDisablesAndRedirectFails(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, gone.URL, http.StatusFound)
	}))
	defer redirect.Close()
	gid, _ := f.srv.AddWebhook("acme", Webhook{TargetURL: gone.URL, AllEvents: true})
	rid, _ := f.srv.AddWebhook("acme", Webhook{TargetURL: redirect.URL, AllEvents: true})
	f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(1)))
	waitHooks(t, f.srv)
	if f.srv.WebhookEnabled("acme", gid) {
		t.Fatal("410 did not disable the webhook")
	}
	if !f.srv.WebhookEnabled("acme", rid) {
		t.Fatal("a redirect disabled the webhook")
	}
	for _, d := range f.srv.WebhookDeliveries() {
		if d.WebhookID == rid && d.StatusCode != http.StatusFound {
			t.Fatalf("redirect followed: %+v", d)
		}
	}
	// The redirecting one is retried; the disabled one is not notified again.
	f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(2)))
	waitHooks(t, f.srv)
	for _, d := range f.srv.WebhookDeliveries() {
		if d.WebhookID == gid && d.NotificationID != 1 {
			t.Fatalf("disabled webhook notified: %+v", d)
		}
	}
}

func TestWebhookNoRetryAndClose(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true, WebhookNoRetry: true}, 0)
	rc, hs := newReceiver(t)
	rc.status.Store(503)
	f.srv.AddWebhook("acme", Webhook{TargetURL: hs.URL, AllEvents: true})
	f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(1)))
	waitHooks(t, f.srv)
	f.clock.Advance(time.Hour)
	waitHooks(t, f.srv)
	if n := len(f.srv.WebhookDeliveries()); n != 1 {
		t.Fatalf("%d deliveries without retries", n)
	}
	f.srv.Close()
	f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(2)))
	waitHooks(t, f.srv)
	if n := len(f.srv.WebhookDeliveries()); n != 1 {
		t.Fatalf("delivered after Close: %d", n)
	}
}
