package api

import (
	"context"
	"math"
	"strings"
	"testing"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// The "Sync orders…" dialog's estimate: requests from the mappings before
// the first run and from the run history after it, time at the portal's
// limit, the daily limit where HubSpot reports it; a run that would use
// more than what is left of it starts only when the person confirms.
func TestSyncBulkEstimate(t *testing.T) {
	e := syncSetup(t, "conf2026")
	const daily = 1_000_000
	e.hsFake.SetRateLimit(hubspotfake.RateLimit{Daily: daily})
	e.connectHubSpot()
	est := syncConf + "/sync-bulk/estimate"
	all := map[string]any{"all": true}

	var live int64
	e.db.Model(&models.PretixOrder{}).Where("event_slug = ? AND NOT testmode", "conf2026").Count(&live)
	first := data(t, e.do("POST", est, all, nil), 200)
	if first["orders"] != float64(live) {
		t.Fatalf("estimate of %v orders, want %d: %v", first["orders"], live, first)
	}
	hs := first["providers"].([]any)[0].(map[string]any)
	if hs["provider"] != "hubspot" || hs["basis"] != "mappings" || hs["requests"].(float64) < 1 ||
		hs["per_window"] != float64(hubspot.DefaultPerWindow) || hs["window_seconds"] != hubspot.DefaultWindow.Seconds() ||
		hs["daily_limit"] != float64(daily) || hs["exceeds_daily"] != false {
		t.Fatalf("estimate before any run: %v", hs)
	}
	var jobs int64
	e.db.Model(&models.SyncJob{}).Count(&jobs)
	if jobs != 0 {
		t.Fatalf("the estimate queued %d jobs", jobs)
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"nothing selected", map[string]any{}, 400, "sync_bulk_selection"},
		{"a filter that matches nothing", map[string]any{"all": true, "search": "no-such-buyer-anywhere"}, 400, "sync_bulk_no_orders"},
		{"not JSON", "[1,2", 400, "bad_json"},
	} {
		r := e.do("POST", est, tc.body, nil)
		if code, _ := errorOf(t, r); r.Status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, code, tc.status, tc.code)
		}
	}

	// After a bulk run the estimate is what the run really cost per order.
	data(t, e.do("POST", syncConf+"/sync-bulk", all, nil), 202)
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	var runs []models.SyncRun
	e.db.Where("kind = ? AND lane = ? AND orders > 0", models.RunSync, "bulk").Find(&runs)
	var orders, requests int64
	for _, r := range runs {
		orders, requests = orders+int64(r.Orders), requests+r.Requests
	}
	if len(runs) == 0 || requests == 0 {
		t.Fatalf("the run history holds %d bulk runs with %d requests", len(runs), requests)
	}
	hs = data(t, e.do("POST", est, all, nil), 200)["providers"].([]any)[0].(map[string]any)
	perOrder := float64(requests) / float64(orders)
	wantReq := math.Ceil(perOrder * float64(live))
	if hs["basis"] != "history" || hs["basis_runs"] != float64(len(runs)) || hs["requests"] != wantReq ||
		hs["seconds"] != math.Ceil(wantReq*hubspot.DefaultWindow.Seconds()/float64(hubspot.DefaultPerWindow)) {
		t.Fatalf("estimate after the run: %v; want %v requests from %d runs", hs, wantReq, len(runs))
	}
	remaining := int(hs["daily_remaining"].(float64))
	if remaining <= 0 || remaining >= daily {
		t.Fatalf("daily remaining %d", remaining)
	}

	// Today's limit nearly used up: one request more than what is left.
	used := daily - remaining
	e.hsFake.SetRateLimit(hubspotfake.RateLimit{Daily: used + int(wantReq)})
	var ev models.PretixEvent
	e.db.Where("slug = ?", "conf2026").Take(&ev)
	cl, _, err := e.hubspot.ClientForEvent(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.RefreshProperties(context.Background(), hubspot.Contacts); err != nil {
		t.Fatal(err)
	}
	hs = data(t, e.do("POST", est, all, nil), 200)["providers"].([]any)[0].(map[string]any)
	if hs["daily_remaining"] != wantReq-1 || hs["exceeds_daily"] != true {
		t.Fatalf("estimate near the daily limit: %v", hs)
	}
	r := e.do("POST", syncConf+"/sync-bulk", all, nil)
	if code, _ := errorOf(t, r); r.Status != 409 || code != "sync_bulk_daily_limit" || !strings.Contains(string(r.Body), "remain") {
		t.Fatalf("a run past the daily limit: %d %s", r.Status, r.Body)
	}
	e.db.Model(&models.SyncJob{}).Count(&jobs)
	if jobs != 0 {
		t.Fatalf("the refused run queued %d jobs", jobs)
	}
	run := data(t, e.do("POST", syncConf+"/sync-bulk", map[string]any{"all": true, "accept_daily_limit": true}, nil), 202)
	if run["total"] != float64(live) {
		t.Errorf("confirmed run: %v", run)
	}
}
