package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// kdfFlood sends, without signing in, 50 parallel setups to an installed
// instance and then 50 parallel wrong sign-ins with 50 different user names,
// while probing /healthz; it returns the app's peak RSS, the slowest health
// answer and the status codes seen.
func kdfFlood(tb testing.TB) (peakMB float64, slowestHealth time.Duration, statuses map[int]int) {
	p := startApp(tb, tb.TempDir())
	admin := newBrowser(tb, p.base)
	if s := admin.do(tb, "POST", "/api/setup", map[string]string{"username": "admin", "password": "correct horse battery"}, nil); s != 200 {
		tb.Fatalf("setup: %d", s)
	}
	statuses = map[int]int{}
	var mu sync.Mutex
	stop := make(chan struct{})
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			start := time.Now()
			res, err := http.Get(p.base + "/healthz")
			d := time.Since(start)
			if err == nil {
				res.Body.Close()
			}
			if err != nil || res.StatusCode != 200 {
				d = time.Hour
			}
			mu.Lock()
			slowestHealth = max(slowestHealth, d)
			mu.Unlock()
		}
	}()
	flood := func(path string, body func(i int) map[string]string) {
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := newBrowser(tb, p.base)
				s := b.do(tb, "POST", path, body(i), nil)
				mu.Lock()
				statuses[s]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	flood("/api/setup", func(i int) map[string]string {
		return map[string]string{"username": fmt.Sprintf("intruder%d", i), "password": "a long enough password"}
	})
	flood("/api/login", func(i int) map[string]string {
		return map[string]string{"username": fmt.Sprintf("nobody%d", i), "password": "a long enough password"}
	})
	close(stop)
	<-probed
	return p.peakRSSMB(tb), slowestHealth, statuses
}

// TestKDFFloodIsBounded: an attacker who can reach the port cannot make the
// server hash passwords without bound.
func TestKDFFloodIsBounded(t *testing.T) {
	peak, slowest, statuses := kdfFlood(t)
	t.Logf("peak RSS %.0f MB, slowest /healthz %v, statuses %v", peak, slowest, statuses)
	if peak > 250 {
		t.Errorf("peak RSS %.0f MB, want at most 250", peak)
	}
	if slowest > time.Second {
		t.Errorf("/healthz took %v during the flood, want at most 1 s", slowest)
	}
	if statuses[409] != 50 {
		t.Errorf("setups on an installed instance: %v, want 50 × 409", statuses)
	}
	if statuses[200] != 0 || statuses[0] != 0 {
		t.Errorf("statuses %v", statuses)
	}
}

func BenchmarkKDFFlood(b *testing.B) {
	peak, slowest, _ := kdfFlood(b)
	fmt.Printf("BENCH kdf_flood_peak_rss_mb %.0f MB\n", peak)
	fmt.Printf("BENCH kdf_flood_slowest_healthz_ms %d ms\n", slowest.Milliseconds())
}
