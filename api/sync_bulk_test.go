package api

import (
	"context"
	"fmt"
	"testing"

	"pretix-hubspot/models"
)

func TestSyncBulkAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	e.connectHubSpot()
	conf, work := e.orders("conf2026"), e.orders("workshops")
	bulk := syncConf + "/sync-bulk"
	paid := data(t, e.do("GET", syncConf+"/orders?status=p&page_size=1", nil, nil), 200)["total"].(float64)
	if paid == 0 {
		t.Fatal("the generator made no paid order")
	}

	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"nothing selected", map[string]any{}, 400, "sync_bulk_selection"},
		{"selection and filter", map[string]any{"order_ids": []int64{conf[0].ID}, "all": true}, 400, "sync_bulk_selection"},
		{"an order of another event", map[string]any{"order_ids": []int64{conf[0].ID, work[0].ID}}, 404, "sync_order_not_found"},
		{"a filter that matches nothing", map[string]any{"all": true, "search": "no-such-buyer-anywhere"}, 400, "sync_bulk_no_orders"},
		{"an unknown status", map[string]any{"all": true, "status": []string{"x"}}, 400, "orders_status_invalid"},
		{"not JSON", "[1,2", 400, "bad_json"},
	} {
		r := e.do("POST", bulk, tc.body, nil)
		if code, _ := errorOf(t, r); r.Status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, code, tc.status, tc.code)
		}
	}
	var jobs int64
	e.db.Model(&models.SyncJob{}).Count(&jobs)
	if jobs != 0 {
		t.Fatalf("refused runs queued %d jobs", jobs)
	}
	if d := e.do("GET", bulk+"/current", nil, nil); string(d.Body) != `{"data":null}`+"\n" {
		t.Errorf("current without a run: %s", d.Body)
	}

	// Every paid order, as the orders list filters them.
	pokes := e.pokes.Load()
	run := data(t, e.do("POST", bulk, map[string]any{"all": true, "status": []string{"p"}}, nil), 202)
	id := int64(run["id"].(float64))
	if run["total"] != paid || run["pending"] != paid || run["running"] != true || run["selection"] != "filter" || e.pokes.Load() != pokes+1 {
		t.Fatalf("started %v (paid %v)", run, paid)
	}
	if cur := data(t, e.do("GET", bulk+"/current", nil, nil), 200); cur["id"] != run["id"] {
		t.Errorf("current %v", cur)
	}
	if r := e.do("GET", fmt.Sprintf("%s/sync-bulk/%d", syncWork, id), nil, nil); r.Status != 404 {
		t.Errorf("the run seen from another event: %d", r.Status)
	}
	if r := e.do("GET", bulk+"/abc", nil, nil); r.Status != 404 {
		t.Errorf("run id not a number: %d", r.Status)
	}

	// The worker drains the run: every order transferred, the run finished.
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	run = data(t, e.do("GET", fmt.Sprintf("%s/%d", bulk, id), nil, nil), 200)
	if run["done"] != paid || run["pending"] != float64(0) || run["failed"] != float64(0) || run["running"] != false || run["finished_at"] == nil {
		t.Errorf("after the run %v", run)
	}
	if d := e.do("GET", bulk+"/current", nil, nil); string(d.Body) != `{"data":null}`+"\n" {
		t.Errorf("current after the run finished: %s", d.Body)
	}

	// Selected orders, then Cancel before the worker gets to them.
	sel := []int64{conf[0].ID, conf[1].ID, conf[2].ID}
	run = data(t, e.do("POST", bulk, map[string]any{"order_ids": sel}, nil), 202)
	id = int64(run["id"].(float64))
	if run["total"] != float64(3) || run["selection"] != "selected" {
		t.Fatalf("selected run %v", run)
	}
	e.setJob(conf[2].ID, map[string]any{"state": "in_flight"})
	run = data(t, e.do("POST", fmt.Sprintf("%s/%d/cancel", bulk, id), nil, nil), 200)
	if run["canceled"] != float64(2) || run["pending"] != float64(1) || run["running"] != false || run["canceled_at"] == nil {
		t.Errorf("after cancel %v", run)
	}
	var left []int64
	e.db.Model(&models.SyncJob{}).Pluck("order_id", &left)
	if len(left) != 1 || left[0] != conf[2].ID {
		t.Errorf("jobs left for orders %v, want only the one in flight (%d)", left, conf[2].ID)
	}
}
