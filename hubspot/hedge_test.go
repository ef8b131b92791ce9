package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	hubspotfake "pretix-hubspot/fakes/hubspot"
)

// A live call safe to repeat that HubSpot answers slowly is sent again and
// answered by the second send; a create, or a bulk call, waits for its one
// answer. The first request to the endpoint is held for two seconds before
// the emulator sees it, the second goes straight through.
func TestSlowLiveCallsAreHedged(t *testing.T) {
	const slow = 2 * time.Second
	cases := []struct {
		name     string
		live     bool
		call     func(ctx context.Context, cl *Client) error
		endpoint string
		hedged   bool
	}{
		{"live read", true, func(ctx context.Context, cl *Client) error {
			_, err := cl.BatchRead(ctx, Contacts, "email", []string{"ada@example.org"}, nil)
			return err
		}, "/batch/read", true},
		{"live upsert", true, func(ctx context.Context, cl *Client) error {
			_, err := cl.BatchUpsert(ctx, Contacts, "email", []UpsertInput{{ID: "ada@example.org", TraceID: "a", Properties: map[string]string{"firstname": "Ada"}}})
			return err
		}, "/batch/upsert", true},
		{"live create: never sent twice", true, func(ctx context.Context, cl *Client) error {
			_, err := cl.BatchCreate(ctx, Contacts, []CreateInput{{TraceID: "a", Properties: map[string]string{"email": "ada@example.org"}}})
			return err
		}, "/batch/create", false},
		{"bulk read: nobody waits for it", false, func(ctx context.Context, cl *Client) error {
			_, err := cl.BatchRead(ctx, Contacts, "email", []string{"ada@example.org"}, nil)
			return err
		}, "/batch/read", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := 0
			var inner http.Handler
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, c.endpoint) {
					mu.Lock()
					seen++
					first := seen == 1
					mu.Unlock()
					if first {
						select {
						case <-time.After(slow):
						case <-r.Context().Done():
							return
						}
					}
				}
				inner.ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			h := newHarnessOn(t, clockwork.NewRealClock(), nil, hubspotfake.Options{}, func(o *Options) { o.APIBaseURL = front.URL })
			inner = h.fake.Handler()
			cl := h.connect(hubEU)
			ctx := context.Background()
			if c.live {
				ctx = Urgent(ctx)
			}
			start := time.Now()
			if err := c.call(ctx, cl); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			mu.Lock()
			sends := seen
			mu.Unlock()
			got := fmt.Sprintf("sent %d times, answered in %v", sends, took.Round(time.Millisecond))
			if c.hedged && (sends != 2 || took > slow*3/4) {
				t.Errorf("%s: want sent twice and answered well before %v (the hedge goes after %v)", got, slow, hedgeDefault)
			}
			if !c.hedged && (sends != 1 || took < slow) {
				t.Errorf("%s: want sent once and answered after %v", got, slow)
			}
		})
	}
}

// The hedge delay follows the recent live latencies of a kind of call, and
// hedges are rationed to a share of live calls.
func TestHedgeDelayAndShare(t *testing.T) {
	h := newHedger()
	if got := h.after("read"); got != hedgeDefault {
		t.Errorf("no latencies known: after = %v, want %v", got, hedgeDefault)
	}
	for i := 0; i < 40; i++ {
		h.observe("read", time.Duration(100+i*5)*time.Millisecond) // 100..295 ms
	}
	if got, want := h.after("read"), 285*time.Millisecond*3/2; got != want { // the 38th of 40
		t.Errorf("after 40 reads: after = %v, want %v (p95 × 1.5)", got, want)
	}
	if got := h.after("write"); got != hedgeDefault {
		t.Errorf("writes unknown: after = %v, want %v", got, hedgeDefault)
	}
	h = newHedger()
	taken := 0
	for i := 0; i < 100; i++ {
		h.observe("read", 50*time.Millisecond)
		if h.take() {
			taken++
		}
	}
	if taken > 100*hedgeShare+hedgeBurst || taken < 100*hedgeShare {
		t.Errorf("%d hedges for 100 live calls, want about %v", taken, 100*hedgeShare)
	}
}
