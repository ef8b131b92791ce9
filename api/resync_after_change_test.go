package api

import (
	"context"
	"fmt"
	"testing"

	"pretix-hubspot/models"
)

// TestResyncAfterMappingChangeAPI: saving a mapping that changes what
// synced orders would send reports how many orders are affected (from the
// stored results); re-syncing them queues exactly those orders, and an
// unchanged save reports nothing.
func TestResyncAfterMappingChangeAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	e.connectHubSpot()
	conf := e.orders("conf2026")
	synced := []int64{conf[0].ID, conf[1].ID, conf[2].ID}
	data(t, e.do("POST", syncConf+"/sync-bulk", map[string]any{"order_ids": synced}, nil), 202)
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := dataList(t, e.do("GET", syncConf+"/mappings", nil, nil))
	contact := list[0].(map[string]any)
	id := int64(contact["id"].(float64))
	path := fmt.Sprintf("%s/mappings/%d", syncConf, id)
	rows := contact["rows"].([]any)
	save := func(rows []any) map[string]any {
		return data(t, e.do("PUT", path, map[string]any{"source_type": "Order", "rows": rows, "associate_with": []int64{}}, nil), 200)
	}

	if m := save(rows); m["affected_orders"] != nil {
		t.Errorf("an unchanged save reports %v affected orders", m["affected_orders"])
	}
	changed := append(append([]any{}, rows...), map[string]any{"pretix_field": "phone", "property": "phone", "mode": "overwrite", "value_map": map[string]string{}})
	if m := save(changed); m["affected_orders"] != float64(len(synced)) {
		t.Fatalf("affected orders %v, want %d", m["affected_orders"], len(synced))
	}

	// A new mapping has no results of its own: every synced order is affected.
	att := data(t, e.do("POST", syncConf+"/mappings", map[string]any{"source_type": "OrderPosition", "target_type": "contacts"}, nil), 201)
	dm := data(t, e.do("PUT", fmt.Sprintf("%s/mappings/%d", syncConf, int64(att["id"].(float64))), map[string]any{"source_type": "OrderPosition",
		"rows": []any{map[string]any{"pretix_field": "attendee_email", "property": "email", "mode": "identifier"},
			map[string]any{"pretix_field": "attendee_name_given_name", "property": "firstname", "mode": "if_empty"}}, "associate_with": []int64{}}, nil), 200)
	if dm["affected_orders"] != float64(len(synced)) {
		t.Errorf("new mapping: affected orders %v, want %d", dm["affected_orders"], len(synced))
	}

	// Re-sync them now: exactly those orders are queued again.
	run := data(t, e.do("POST", syncConf+"/sync-bulk", map[string]any{"affected_by_mapping": id}, nil), 202)
	if run["total"] != float64(len(synced)) || run["selection"] != "mapping" {
		t.Fatalf("re-sync run %v", run)
	}
	var queued []int64
	e.db.Model(&models.SyncJob{}).Order("order_id").Pluck("order_id", &queued)
	if fmt.Sprint(queued) != fmt.Sprint(synced) {
		t.Errorf("queued %v, want %v", queued, synced)
	}
	if r := e.do("POST", syncConf+"/sync-bulk", map[string]any{"affected_by_mapping": id, "all": true}, nil); r.Status != 400 {
		t.Errorf("two selections at once: %d", r.Status)
	}
}
