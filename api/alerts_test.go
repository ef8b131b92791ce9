package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"pretix-hubspot/models"
)

// The Alerts settings through the router, and the alert itself from a real
// sync problem: a sync that fails for a whole event sends one webhook post,
// its recovery one more.
func TestAlertsAPIAndAProblemAlert(t *testing.T) {
	e := syncSetup(t, "conf2026")
	var mu sync.Mutex
	var posts []map[string]any
	fail := false
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		var b map[string]any
		json.NewDecoder(r.Body).Decode(&b)
		posts = append(posts, b)
	}))
	defer hook.Close()
	got := func() []map[string]any { mu.Lock(); defer mu.Unlock(); return append([]map[string]any{}, posts...) }

	r := e.do("PUT", "/api/settings/alerts", map[string]any{"smtp_host": "smtp.example.org", "mail_to": []string{"nope"}}, nil)
	if code, fields := errorOf(t, r); r.Status != 400 || code != "alerts_invalid" || fields["mail_to"] == nil || fields["mail_from"] == nil {
		t.Fatalf("invalid settings: %d %s", r.Status, r.Body)
	}
	st := data(t, e.do("PUT", "/api/settings/alerts", map[string]any{"webhook_url": hook.URL, "smtp_password": "pw-never-shown"}, nil), 200)
	if st["webhook_on"] != true || st["email_on"] != false {
		t.Fatalf("saved %v", st)
	}
	g := e.do("GET", "/api/settings/alerts", nil, nil)
	if g.Status != 200 || strings.Contains(string(g.Body), "pw-never-shown") || g.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET settings: %d %s", g.Status, g.Body)
	}
	if r := e.do("POST", "/api/settings/alerts/test", map[string]string{"channel": "webhook"}, nil); r.Status != 200 || len(got()) != 1 {
		t.Fatalf("test post: %d %s, %d posts", r.Status, r.Body, len(got()))
	}
	if r := e.do("POST", "/api/settings/alerts/test", map[string]string{"channel": "email"}, nil); r.Status != 400 {
		t.Errorf("test e-mail without a mail server: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if r := e.do("POST", "/api/settings/alerts/test", map[string]string{"channel": "webhook"}, nil); r.Status != 502 || !strings.Contains(string(r.Body), "answered 503") {
		t.Errorf("failing test post: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if r := e.do("GET", "/api/settings/alerts", nil, nil); !strings.Contains(string(r.Body), "answered 503") {
		t.Errorf("the last failure is not shown: %s", r.Body)
	}

	// HubSpot not connected: every order of the bulk run waits as a
	// problem; one alert for the event, not one per order.
	ctx := context.Background()
	if err := e.alerts.Check(ctx); err != nil {
		t.Fatal(err)
	}
	data(t, e.do("POST", syncConf+"/sync-bulk", map[string]any{"all": true}, nil), 202)
	if err := e.runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var problems int64
	e.db.Model(&models.SyncJob{}).Where("state = ?", models.JobFailed).Count(&problems)
	for i := 0; i < 3; i++ {
		if err := e.alerts.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ps := got()
	if problems < 2 || len(ps) != 2 {
		t.Fatalf("%d failed orders, %d posts (the test included); want one alert", problems, len(ps))
	}
	if text := ps[1]["text"].(string); !strings.Contains(text, "Sync problems in DemoCon 2026") || !strings.Contains(text, "/organizers/democon/events/conf2026/sync-problems") {
		t.Errorf("alert %v", ps[1])
	}

	// Connected and retried: every order goes through, one recovery post.
	e.connectHubSpot()
	var ids []int64
	e.db.Model(&models.SyncJob{}).Where("state = ?", models.JobFailed).Pluck("id", &ids)
	data(t, e.do("POST", syncConf+"/sync-problems/retry", map[string]any{"ids": ids}, nil), 200)
	if err := e.runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := e.alerts.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ps = got()
	if len(ps) != 3 || !strings.Contains(ps[2]["text"].(string), "Sync problems solved: DemoCon 2026") {
		t.Fatalf("after recovery %d posts: %v", len(ps), ps[len(ps)-1])
	}
}
