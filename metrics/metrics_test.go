package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// Scrape fetches /metrics and parses it as Prometheus does.
func Scrape(t testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// Value returns the value of the family's series with the labels (counter,
// gauge or a histogram's count), and whether it exists.
func Value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range labels {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsFromHooksAndTables(t *testing.T) {
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	now := time.Now().UTC()
	ago := now.Add(-90 * time.Second)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, last_pull_success_at, created_at, updated_at) VALUES (1, 'https://p.example/', 'acme', 'x', ?, ?, ?)`, ago, now, now).Error)
	must(db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (1, 1, 'conf', ?, ?)`, now, now).Error)
	for i, st := range []struct {
		state     string
		notBefore time.Time
	}{{models.JobPending, now.Add(-time.Minute)}, {models.JobPending, now.Add(-time.Minute)}, {models.JobPending, now.Add(time.Hour)}, {models.JobFailed, now}} {
		must(db.Exec(`INSERT INTO pretix_orders (id, organizer_id, event_id, event_slug, code, status, email, datetime, last_modified, total, raw_json, first_seen_at, updated_at)
			VALUES (?, 1, 1, 'conf', ?, 'p', '', ?, ?, '1', '{}', ?, ?)`, i+1, "C"+string(rune('A'+i)), now, now, now, now).Error)
		must(db.Exec(`INSERT INTO sync_jobs (order_id, event_id, provider, triggered_by, triggered_at, not_before, state, updated_at) VALUES (?, 1, 'hubspot', 'manual', ?, ?, ?, ?)`,
			i+1, now, st.notBefore, st.state, now).Error)
	}
	m := New(db)
	gov := hubspot.NewGovernor(nil)
	gov.State(24681357) // a portal the governor knows
	m.Watch(gov)

	m.OnRound(datasync.RoundStats{Provider: "hubspot", Live: true, Took: 1200 * time.Millisecond,
		Outcomes: map[datasync.OutcomeKind]int{datasync.OutcomeDone: 3, datasync.OutcomeFailed: 2, datasync.OutcomeTemporary: 1},
		Modes:    map[string]int{"permanent": 1, "config": 1}, Actions: map[string]int{"created": 4, "nothing_to_do": 2}})
	m.OnRound(datasync.RoundStats{Provider: "hubspot", Outcomes: map[datasync.OutcomeKind]int{datasync.OutcomeDone: 5}, Actions: map[string]int{"updated": 5}})
	m.OnHubSpotRequest(24681357, "batch upsert deals", 200, 400*time.Millisecond)
	m.OnHubSpotRequest(24681357, "batch upsert deals", 200, 500*time.Millisecond)
	m.OnHubSpotRequest(24681357, "batch read contacts", 429, 100*time.Millisecond)
	m.OnPull(1, pretix.PullResult{Orders: 7}, 2*time.Second, nil)
	m.OnPull(1, pretix.PullResult{}, time.Second, errors.New("pretix down"))
	m.OnWebhook("queued")
	m.OnWebhook("queued")
	m.OnWebhook("refused")

	fams := Scrape(t, m.Handler())
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pretix_hubspot_sync_runs_total", map[string]string{"lane": "live"}, 1},
		{"pretix_hubspot_sync_runs_total", map[string]string{"lane": "bulk"}, 1},
		{"pretix_hubspot_sync_run_duration_seconds", map[string]string{"lane": "live"}, 1},
		{"pretix_hubspot_sync_orders_total", map[string]string{"outcome": "done"}, 8},
		{"pretix_hubspot_sync_orders_total", map[string]string{"outcome": "rejected"}, 1},
		{"pretix_hubspot_sync_orders_total", map[string]string{"outcome": "misconfigured"}, 1},
		{"pretix_hubspot_sync_orders_total", map[string]string{"outcome": "retry"}, 1},
		{"pretix_hubspot_sync_objects_total", map[string]string{"action": "created"}, 4},
		{"pretix_hubspot_sync_objects_total", map[string]string{"action": "updated"}, 5},
		{"pretix_hubspot_sync_objects_total", map[string]string{"action": "nothing_to_do"}, 2},
		{"pretix_hubspot_hubspot_requests_total", map[string]string{"endpoint": "batch upsert deals", "status": "200"}, 2},
		{"pretix_hubspot_hubspot_requests_total", map[string]string{"endpoint": "batch read contacts", "status": "429"}, 1},
		{"pretix_hubspot_hubspot_request_duration_seconds", map[string]string{"endpoint": "batch upsert deals"}, 2},
		{"pretix_hubspot_pretix_pulls_total", map[string]string{"organizer": "acme", "result": "ok"}, 1},
		{"pretix_hubspot_pretix_pulls_total", map[string]string{"organizer": "acme", "result": "error"}, 1},
		{"pretix_hubspot_pretix_pull_orders_total", map[string]string{"organizer": "acme"}, 7},
		{"pretix_hubspot_pretix_webhook_deliveries_total", map[string]string{"status": "queued"}, 2},
		{"pretix_hubspot_pretix_webhook_deliveries_total", map[string]string{"status": "refused"}, 1},
		{"pretix_hubspot_sync_jobs", map[string]string{"event": "acme/conf", "state": "pending"}, 2},
		{"pretix_hubspot_sync_jobs", map[string]string{"event": "acme/conf", "state": "waiting"}, 1},
		{"pretix_hubspot_sync_jobs", map[string]string{"event": "acme/conf", "state": "failed"}, 1},
		{"pretix_hubspot_hubspot_governor_sent_total", map[string]string{"portal": "24681357"}, 0},
		{"pretix_hubspot_scrape_database_errors", nil, 0},
	} {
		got, ok := Value(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	lag, ok := Value(fams, "pretix_hubspot_pretix_pull_lag_seconds", map[string]string{"organizer": "acme"})
	if !ok || lag < 89 || lag > 120 {
		t.Errorf("pull lag %v (present %v), want about 90 s", lag, ok)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}
