package hubspotfake

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
)

func TestRollingTenSecondLimit(t *testing.T) {
	e := newEnv(t, Options{})
	path := "/crm/properties/2026-03/contacts"
	for i := 0; i < 110; i++ {
		st, h, _ := e.call("GET", path, nil)
		if st != 200 {
			t.Fatalf("request %d: %d", i, st)
		}
		if i == 0 && (h.Get("X-HubSpot-RateLimit-Max") != "110" || h.Get("X-HubSpot-RateLimit-Remaining") != "109" || h.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "10000") {
			t.Errorf("headers = %v", h)
		}
		if h.Get("X-HubSpot-RateLimit-Daily") != "" {
			t.Error("OAuth responses carry no daily headers")
		}
		if i == 54 {
			e.clock.Advance(5 * time.Second)
		}
	}
	st, h, body := e.call("GET", path, nil)
	if st != 429 || body["policyName"] != "TEN_SECONDLY_ROLLING" || body["errorType"] != "RATE_LIMIT" || body["requestId"] == "" || h.Get("X-HubSpot-RateLimit-Remaining") != "0" {
		t.Fatalf("111th: %d %v %v", st, h, body)
	}
	// Rolling: after 5 s more the first 55 requests leave the window. The
	// refused one still counts (the stricter reading), so 54 fit.
	e.clock.Advance(5*time.Second + time.Millisecond)
	for i := 0; i < 54; i++ {
		if st, _, _ := e.call("GET", path, nil); st != 200 {
			t.Fatalf("after roll, request %d: %d", i, st)
		}
	}
	if st, _, _ := e.call("GET", path, nil); st != 429 {
		t.Errorf("window full again: %d", st)
	}
	if s := e.srv.Stats(); s.RateLimited != 2 || s.Requests["GET /crm/properties/{version}/contacts"] != 166 {
		t.Errorf("stats = %+v", s)
	}
}

func TestDailyLimitResetsAtPortalMidnight(t *testing.T) {
	e := newEnv(t, Options{RateLimit: RateLimit{Daily: 3}, StaticTokens: []StaticToken{{Token: "key", HubID: hubEU, Scopes: allScopes}}})
	path := "/crm/properties/2026-03/contacts"
	for i := 0; i < 3; i++ {
		st, h, _ := e.callAs("key", "GET", path, nil)
		if st != 200 || h.Get("X-HubSpot-RateLimit-Daily") != "3" {
			t.Fatalf("request %d: %d %v", i, st, h)
		}
	}
	st, _, body := e.callAs("key", "GET", path, nil)
	if st != 429 || body["policyName"] != "DAILY" || body["message"] != "You have reached your daily limit." {
		t.Fatalf("4th: %d %v", st, body)
	}
	// The fake clock is at 10:00 UTC = 11:00 Berlin; Berlin midnight is 23:00 UTC.
	e.clock.Advance(12*time.Hour + 59*time.Minute)
	if st, _, _ := e.callAs("key", "GET", path, nil); st != 429 {
		t.Errorf("22:59 UTC is still the same Berlin day: %d", st)
	}
	e.clock.Advance(time.Minute)
	if st, _, _ := e.callAs("key", "GET", path, nil); st != 200 {
		t.Errorf("after Berlin midnight: %d", st)
	}
}

func TestRateLimitOff(t *testing.T) {
	e := newEnv(t, Options{RateLimit: RateLimit{Off: true}})
	for i := 0; i < 150; i++ {
		if st, _, _ := e.call("GET", "/crm/properties/2026-03/contacts", nil); st != 200 {
			t.Fatalf("request %d: %d", i, st)
		}
	}
}

func TestInjectedFaults(t *testing.T) {
	e := newEnv(t, Options{Seed: 7})
	path := "/crm/properties/2026-03/contacts"

	e.srv.SetFaults(Faults{ServerErrorRate: 1})
	st, _, _ := e.call("GET", path, nil)
	if st < 500 || st > 504 {
		t.Errorf("5xx fault: %d", st)
	}
	e.srv.SetFaults(Faults{LockedRate: 1})
	if st, _, _ := e.call("GET", path, nil); st != http.StatusLocked {
		t.Errorf("423 fault: %d", st)
	}
	e.srv.SetFaults(Faults{RateLimitRate: 1})
	if st, _, body := e.call("GET", path, nil); st != 429 || body["policyName"] != "TEN_SECONDLY_ROLLING" {
		t.Errorf("429 fault: %d %v", st, body)
	}

	// Resets: the client sees a transport error; some writes were applied anyway.
	e.srv.SetFaults(Faults{ResetRate: 1})
	applied := 0
	for i := 0; i < 20; i++ {
		email := "r" + string(rune('a'+i)) + "@example.org"
		req, _ := http.NewRequest("POST", e.ts.URL+v+"contacts/batch/upsert", strings.NewReader(`{"inputs":[{"idProperty":"email","id":"`+email+`","properties":{}}]}`))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("reset fault delivered a response: %d", resp.StatusCode)
		}
		if _, ok := e.srv.FindRecord(hubEU, "contacts", "email", email); ok {
			applied++
		}
	}
	if applied == 0 || applied == 20 {
		t.Errorf("applied-before-reset = %d of 20; want some but not all", applied)
	}

	// Latency waits on the injected clock.
	e.srv.SetFaults(Faults{LatencyRate: 1, Latency: 3 * time.Second})
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("the delayed response came before the clock moved")
	case <-time.After(20 * time.Millisecond):
	}
	e.clock.Advance(3 * time.Second)
	if st := <-done; st != 200 {
		t.Errorf("delayed request: %d", st)
	}
	if s := e.srv.Stats(); s.Faults < 23 {
		t.Errorf("faults counted = %d", s.Faults)
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	run := func() []int {
		e := newEnv(t, Options{Seed: 42, Faults: Faults{ServerErrorRate: 0.3, LockedRate: 0.2}})
		var out []int
		for i := 0; i < 30; i++ {
			st, _, _ := e.call("GET", "/crm/properties/2026-03/contacts", nil)
			out = append(out, st)
		}
		return out
	}
	a, b := run(), run()
	faults := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run differs at %d: %v vs %v", i, a, b)
		}
		if a[i] != 200 {
			faults++
		}
	}
	if faults < 5 || faults > 25 {
		t.Errorf("faults = %d of 30 at rate 0.5", faults)
	}
}

// With the latency model on, requests take their time concurrently: ten
// batch writes of 100 inputs answer together in about one write's time, not
// ten, and each is counted when it arrives.
func TestLatencyModelServesConcurrently(t *testing.T) {
	lat := Latency{On: true, Write: [2]time.Duration{200 * time.Millisecond, 201 * time.Millisecond}, Read: [2]time.Duration{time.Millisecond, 2 * time.Millisecond}}
	e := newEnv(t, Options{Latency: lat, Clock: clockwork.NewRealClock()})
	inputs := make([]map[string]any, 100)
	for i := range inputs {
		inputs[i] = map[string]any{"properties": map[string]string{"email": fmt.Sprintf("p%d@example.org", i)}}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			in := make([]map[string]any, len(inputs))
			for i := range inputs {
				in[i] = map[string]any{"properties": map[string]string{"email": fmt.Sprintf("w%d-p%d@example.org", w, i)}}
			}
			if st, _, body := e.call("POST", "/crm/objects/2026-03/contacts/batch/create", map[string]any{"inputs": in}); st != 201 {
				t.Errorf("create %d: %d %v", w, st, body)
			}
		}(w)
	}
	wg.Wait()
	if d := time.Since(start); d < 200*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("ten concurrent writes took %v, want about 200 ms", d)
	}
	if m := newLatencyModel(lat); m.draw("POST /crm/objects/{version}/{type}/batch/create", []byte(`{"inputs":[{},{},{},{},{},{},{},{},{},{}]}`)) > 70*time.Millisecond {
		t.Error("a write of 10 inputs should take about a third of a full batch")
	}
}

// A request counts from when it arrived, however long the emulator takes
// to get to it, and the window around an arrival holds every request that
// arrived within it — also those admitted before it.
func TestRateLimitCountsFromArrival(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	s := New(Options{Clock: clock, RateLimit: RateLimit{Max: 3, Window: time.Second}})
	pt := newPortal(Portal{ID: 1}, time.UTC, clock.Now())
	t0 := clock.Now()
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	steps := []struct {
		now, arrived int // ms after t0
		admitted     bool
	}{
		{0, 0, true},
		{100, 100, true},
		{250, 200, true},
		{1050, 950, false},  // came in at 0.95 s, the window (−0.05, 0.95] is full
		{1150, 1150, true},  // (0.15, 1.15]: the one of 0.2 s and the refused one
		{1160, 1100, false}, // admitted after the one of 1.15 s but arrived before it: three
	}
	for _, st := range steps {
		clock.Advance(ms(st.now).Sub(clock.Now()))
		got := s.admit(httptest.NewRecorder(), &callCtx{portal: pt, arrived: ms(st.arrived)}) == nil
		if got != st.admitted {
			t.Errorf("arrived at %d ms, admitted at %d ms: admitted %v, want %v", st.arrived, st.now, got, st.admitted)
		}
	}
}
