package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
)

// problemFixture queues jobs and turns them into problems:
// conf2026: orders 0-2 permanent ("Email invalid"), 3 config, 4 retrying,
// 5 merely pending; workshops: order 0 permanent; and a job of another
// organizer's event ("othercon"), seeded directly.
type problemFixture struct {
	e          *testEnv
	conf, work []storedOrder
	other      int64 // job id of the other organizer
}

func newProblemFixture(t *testing.T) *problemFixture {
	t.Helper()
	e := syncSetup(t, "conf2026", "workshops")
	f := &problemFixture{e: e, conf: e.orders("conf2026"), work: e.orders("workshops")}
	ctx := context.Background()
	ids := func(os []storedOrder, n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = os[i].ID
		}
		return out
	}
	var confID, workID int64
	e.db.Raw(`SELECT id FROM pretix_events WHERE slug = 'conf2026'`).Scan(&confID)
	e.db.Raw(`SELECT id FROM pretix_events WHERE slug = 'workshops'`).Scan(&workID)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.queue.Enqueue(ctx, confID, ids(f.conf, 6), "hubspot", datasync.TriggerNewOrder, time.Time{}))
	must(e.queue.Enqueue(ctx, workID, ids(f.work, 1), "hubspot", datasync.TriggerNewOrder, time.Time{}))
	for i := 0; i < 3; i++ {
		e.setJob(f.conf[i].ID, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Email invalid",
			"triggered_at": e.clock.Now().Add(time.Duration(i) * time.Minute)})
	}
	e.setJob(f.conf[3].ID, map[string]any{"state": "failed", "failure_mode": "config", "attempts": 1, "last_error": "Value map incomplete"})
	e.setJob(f.conf[4].ID, map[string]any{"attempts": 2, "last_error": "Bad Gateway", "not_before": e.clock.Now().Add(time.Hour)})
	e.setJob(f.work[0].ID, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Email invalid"})

	now := time.Now().UTC()
	must(e.db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at) VALUES (900, 'https://other.example/', 'othercon', 'h900', ?, ?)`, now, now).Error)
	must(e.db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (900, 900, 'otherfest', ?, ?)`, now, now).Error)
	must(e.db.Exec(`INSERT INTO event_providers (event_id, provider, enabled, created_at, updated_at) VALUES (900, 'hubspot', 1, ?, ?)`, now, now).Error)
	must(e.db.Exec(`INSERT INTO pretix_orders (id, organizer_id, event_id, event_slug, code, status, datetime, last_modified, raw_json, first_seen_at, updated_at)
		VALUES (900, 900, 900, 'otherfest', 'OTHR1', 'p', ?, ?, '{}', ?, ?)`, now, now, now, now).Error)
	must(e.queue.Enqueue(ctx, 900, []int64{900}, "hubspot", datasync.TriggerNewOrder, time.Time{}))
	e.setJob(900, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Email invalid"})
	must(e.db.Model(&models.SyncJob{}).Where("order_id = 900").Pluck("id", &f.other).Error)
	return f
}

func (f *problemFixture) jobID(orderID int64) int64 {
	f.e.t.Helper()
	var id int64
	if err := f.e.db.Model(&models.SyncJob{}).Where("order_id = ?", orderID).Pluck("id", &id).Error; err != nil || id == 0 {
		f.e.t.Fatalf("no job for order %d: %v", orderID, err)
	}
	return id
}

func (f *problemFixture) state(jobID int64) string {
	var st string
	f.e.db.Model(&models.SyncJob{}).Where("id = ?", jobID).Pluck("state", &st)
	return st
}

func TestSyncProblemsListAPI(t *testing.T) {
	f := newProblemFixture(t)
	e := f.e
	org := "/api/organizers/democon/sync-problems"
	codes := func(d map[string]any) string {
		var out []string
		for _, it := range d["items"].([]any) {
			out = append(out, it.(map[string]any)["order_code"].(string))
		}
		return fmt.Sprint(out)
	}
	c := func(i int) string { return f.conf[i].Code }
	for _, tc := range []struct {
		name  string
		path  string
		total int
		codes string // order codes of the page: newest trigger first, then newest job
	}{
		{"event, all", syncConf + "/sync-problems", 5, fmt.Sprint([]string{c(2), c(1), c(4), c(3), c(0)})},
		{"event, permanent", syncConf + "/sync-problems?mode=permanent", 3, fmt.Sprint([]string{c(2), c(1), c(0)})},
		{"event, retrying", syncConf + "/sync-problems?mode=retrying", 1, fmt.Sprint([]string{c(4)})},
		{"event, second page of two", syncConf + "/sync-problems?page=2&page_size=2", 5, fmt.Sprint([]string{c(4), c(3)})},
		{"event, past the end", syncConf + "/sync-problems?page=9", 5, "[]"},
		{"other event", syncWork + "/sync-problems", 1, fmt.Sprint([]string{f.work[0].Code})},
		{"organizer: both events, not othercon", org + "?page_size=100", 6, ""},
	} {
		d := data(t, e.do("GET", tc.path, nil, nil), 200)
		if int(d["total"].(float64)) != tc.total || (tc.codes != "" && codes(d) != tc.codes) {
			t.Errorf("%s: total %v codes %s, want %d %s", tc.name, d["total"], codes(d), tc.total, tc.codes)
		}
	}

	d := data(t, e.do("GET", syncConf+"/sync-problems", nil, nil), 200)
	it := d["items"].([]any)[0].(map[string]any)
	if it["display_name"] != "HubSpot" || it["event_slug"] != "conf2026" || it["failure_label"] != "Provider reported a permanent error" ||
		it["error"] != "Email invalid" || d["page"] != float64(1) || d["page_size"] != float64(100) {
		t.Errorf("row %v / page %v size %v", it, d["page"], d["page_size"])
	}
	causes := d["by_cause"].([]any)
	if top := causes[0].(map[string]any); top["count"] != float64(3) || top["error"] != "Email invalid" || top["label"] != "Provider reported a permanent error" {
		t.Errorf("by cause %v", causes)
	}
	if modes := d["by_mode"].([]any); len(modes) != 3 {
		t.Errorf("by mode %v", modes)
	}

	// A disabled event leaves the organizer's list ("where the plugin is active").
	e.do("PUT", syncWork+"/plugins/hubspot", map[string]bool{"enabled": false}, nil)
	if d := data(t, e.do("GET", org, nil, nil), 200); d["total"] != float64(5) {
		t.Errorf("organizer list with workshops disabled: total %v", d["total"])
	}

	for _, tc := range []struct{ query, field string }{
		{"mode=bogus", "mode"}, {"page=-1", "page"}, {"page_size=5000", "page"}, {"page=x", "page"},
	} {
		r := e.do("GET", syncConf+"/sync-problems?"+tc.query, nil, nil)
		if _, fields := errorOf(t, r); r.Status != 400 || fields[tc.field] == nil {
			t.Errorf("%s: %d %v", tc.query, r.Status, fields)
		}
	}
	if r := e.do("GET", "/api/organizers/nope/sync-problems", nil, nil); r.Status != 404 {
		t.Errorf("unknown organizer: %d", r.Status)
	}
}

func TestSyncProblemsActionsStayInScope(t *testing.T) {
	f := newProblemFixture(t)
	e := f.e
	org := "/api/organizers/democon/sync-problems"
	own, own2 := f.jobID(f.conf[0].ID), f.jobID(f.conf[1].ID)
	work := f.jobID(f.work[0].ID)

	for _, tc := range []struct {
		name    string
		path    string
		ids     []int64
		status  int
		changed float64
		skipped float64
	}{
		{"event retry: own job retried, another event's and organizer's ignored", syncConf + "/sync-problems/retry", []int64{own, work, f.other}, 200, 1, 2},
		{"event cancel: only ids of another event", syncConf + "/sync-problems/cancel", []int64{work, f.other}, 404, 0, 0},
		{"organizer cancel: another organizer's id", org + "/cancel", []int64{f.other}, 404, 0, 0},
		{"organizer cancel: both of its events", org + "/cancel", []int64{own2, work, f.other}, 200, 2, 1},
		{"nothing selected", syncConf + "/sync-problems/retry", []int64{}, 400, 0, 0},
	} {
		pokes := e.pokes.Load()
		r := e.do("POST", tc.path, map[string]any{"ids": tc.ids}, nil)
		if r.Status != tc.status {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			continue
		}
		if tc.status != 200 {
			continue
		}
		d := data(t, r, 200)
		if d["changed"] != tc.changed || d["skipped"] != tc.skipped {
			t.Errorf("%s: %v", tc.name, d)
		}
		if tc.path == syncConf+"/sync-problems/retry" && e.pokes.Load() != pokes+1 {
			t.Errorf("%s: the worker was not poked", tc.name)
		}
	}
	if st := f.state(own); st != "pending" {
		t.Errorf("retried job is %q", st)
	}
	if f.state(f.other) != "failed" {
		t.Errorf("the other organizer's job was touched: %q", f.state(f.other))
	}
	if f.state(own2) != "" || f.state(work) != "" {
		t.Errorf("canceled jobs still there: %q %q", f.state(own2), f.state(work))
	}
	// Retried jobs leave the list; the rest stays.
	if d := data(t, e.do("GET", syncConf+"/sync-problems", nil, nil), 200); d["total"] != float64(3) {
		t.Errorf("problems left %v", d["total"])
	}
	if r := e.do("POST", org+"/retry", "not an object", nil); r.Status != 400 {
		t.Errorf("bad body: %d", r.Status)
	}
}
