package api

import (
	"context"
	"testing"
)

func TestSyncActivityAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	e.connectHubSpot()
	before := e.hsFake.Stats().Total
	ords := e.orders("conf2026")
	for _, o := range ords[:3] {
		data(t, e.do("POST", syncConf+"/orders/"+o.Code+"/sync", nil, nil), 202)
	}
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	requests := e.hsFake.Stats().Total - before

	d := data(t, e.do("GET", "/api/organizers/democon/sync-activity", nil, nil), 200)
	runs := d["runs"].([]any)
	var syncs, pulls int
	var done, reqs float64
	for _, r := range runs {
		run := r.(map[string]any)
		switch run["kind"] {
		case "sync":
			syncs++
			done += run["done"].(float64)
			reqs += run["requests"].(float64)
			if run["lane"] != "live" || run["event_id"] == nil {
				t.Errorf("sync run %v", run)
			}
		case "pull":
			pulls++
			if run["orders"].(float64) == 0 || run["event_id"] != nil {
				t.Errorf("pull run %v", run)
			}
		}
	}
	if syncs == 0 || done != 3 || int(reqs) != requests || pulls == 0 {
		t.Fatalf("runs: %d syncs (%v orders done, %v requests; the emulator counted %d), %d pulls: %v", syncs, done, reqs, requests, pulls, runs)
	}
	days := d["days"].([]any)
	last := days[len(days)-1].(map[string]any)
	if len(days) != 14 || last["orders"] != float64(3) || last["requests"] != float64(requests) || d["keep_days"] != float64(30) {
		t.Errorf("days %v, keep %v", days, d["keep_days"])
	}

	// One event's runs only: no pulls; another event has none.
	d = data(t, e.do("GET", "/api/organizers/democon/sync-activity?event=conf2026&days=7", nil, nil), 200)
	for _, r := range d["runs"].([]any) {
		if r.(map[string]any)["kind"] != "sync" {
			t.Errorf("event filter let through %v", r)
		}
	}
	if n := len(d["days"].([]any)); n != 7 {
		t.Errorf("%d days", n)
	}
	if d := data(t, e.do("GET", "/api/organizers/democon/sync-activity?event=workshops", nil, nil), 200); len(d["runs"].([]any)) != 0 {
		t.Errorf("workshops runs %v", d["runs"])
	}
	for _, q := range []string{"?days=0", "?days=abc", "?days=91"} {
		if r := e.do("GET", "/api/organizers/democon/sync-activity"+q, nil, nil); r.Status != 400 {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := e.do("GET", "/api/organizers/democon/sync-activity?event=nope", nil, nil); r.Status != 404 {
		t.Errorf("unknown event: %d", r.Status)
	}
}
