package api

import (
	"context"
	"strings"
	"testing"
)

// hubspotWrites counts the emulator's write requests of every kind.
func (e *testEnv) hubspotWrites() int {
	n := 0
	for ep, c := range e.hsFake.Stats().Requests {
		if strings.HasPrefix(ep, "POST /crm/objects/") && !strings.HasSuffix(ep, "/batch/read") {
			n += c
		}
	}
	return n
}

// The write plan through the router: an order's records with HubSpot's
// values read live, what would be sent, and nothing written.
func TestWritePlanAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	first := e.orders("conf2026")[0]
	path := syncConf + "/orders/" + first.Code + "/write-plan"

	// Not connected yet: the plan says why nothing would be sent.
	plan := data(t, e.do("GET", path, nil, nil), 200)
	if p, _ := plan["problem"].(string); !strings.Contains(p, "HubSpot") {
		t.Errorf("plan before connecting: %v", plan)
	}

	e.connectHubSpot()
	writes := e.hubspotWrites()
	plan = data(t, e.do("GET", path, nil, nil), 200)
	recs, _ := plan["records"].([]any)
	if plan["order_code"] != first.Code || plan["problem"] != nil || len(recs) == 0 {
		t.Fatalf("plan %v", plan)
	}
	rec := recs[0].(map[string]any)
	req, _ := rec["request"].(map[string]any)
	if rec["object_type"] != "contacts" || rec["exists"] != false || req == nil || !strings.HasSuffix(req["path"].(string), "/contacts/batch/upsert") {
		t.Errorf("first record %v", rec)
	}
	if n := e.hubspotWrites(); n != writes {
		t.Fatalf("the write plan sent %d writes", n-writes)
	}

	// Synced, its record exists with the values the plan showed.
	data(t, e.do("POST", syncConf+"/orders/"+first.Code+"/sync", nil, nil), 202)
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec = data(t, e.do("GET", path, nil, nil), 200)["records"].([]any)[0].(map[string]any)
	if rec["exists"] != true || rec["record_id"] == "" || rec["link"] == "" {
		t.Errorf("after the sync %v", rec)
	}
	for _, p := range rec["properties"].([]any) {
		pp := p.(map[string]any)
		if pp["current"] != pp["send"] || pp["result"] != "unchanged" {
			t.Errorf("after the sync %v", pp)
		}
	}

	if r := e.do("GET", syncConf+"/orders/NOPE1/write-plan", nil, nil); r.Status != 404 {
		t.Errorf("unknown order: %d", r.Status)
	}
}
