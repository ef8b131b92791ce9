package api

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"pretix-hubspot/datasync"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
)

// testCRM is a second sync provider that lives only in this test: it proves
// that a provider plugs into the engine — Plugins page, enqueue rules,
// queue, runner, order box, problems pages — without any of them knowing it.
// Orders whose e-mail is in reject fail for good; the others are "written".
type testCRM struct {
	mu     sync.Mutex
	reject map[string]bool
	seen   []string // order codes it was asked to sync
}

func (p *testCRM) Name() string        { return "testcrm" }
func (p *testCRM) DisplayName() string { return "Test CRM" }
func (p *testCRM) Description() string { return "A CRM that exists only in the tests." }

func (p *testCRM) Sync(_ context.Context, b datasync.Batch) []datasync.JobResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]datasync.JobResult, 0, len(b.Jobs))
	for _, j := range b.Jobs {
		o := b.Orders[j.OrderID]
		p.seen = append(p.seen, o.Code)
		if p.reject[o.Code] {
			out = append(out, datasync.JobResult{JobID: j.ID,
				Outcome: datasync.Outcome{Kind: datasync.OutcomeFailed, Mode: models.FailurePermanent, Error: "Test CRM refused order " + o.Code + "."}})
			continue
		}
		out = append(out, datasync.JobResult{JobID: j.ID, Outcome: datasync.Outcome{Kind: datasync.OutcomeDone},
			Results: []models.SyncResult{{Provider: p.Name(), ObjectType: "people", IDProperty: "email", IDValue: o.Email,
				ExternalID: "crm-" + o.Code, Action: "created"}},
			Log: []models.OrderLog{{Kind: datasync.LogTransferred, Message: "Data transferred to Test CRM"}}})
	}
	return out
}

func TestSecondProviderPlugsIntoTheEngine(t *testing.T) {
	crm := &testCRM{reject: map[string]bool{}}
	e := newTestEnv(t, crm)
	e.signUp()
	e.pxGenerate("conf2026", 3, 5)
	org := e.pxConnect()
	base := "/api/organizers/democon/events/conf2026"
	ctx := context.Background()

	// The Plugins page lists it beside HubSpot; enabling it needs no HubSpot.
	list := dataList(t, e.do("GET", base+"/plugins", nil, nil))
	if len(list) != 2 || list[1].(map[string]any)["id"] != "testcrm" || list[1].(map[string]any)["label"] != "Test CRM" {
		t.Fatalf("plugins: %v", list)
	}
	if p := data(t, e.do("PUT", base+"/plugins/testcrm", map[string]bool{"enabled": true}, nil), 200); p["enabled"] != true {
		t.Fatalf("enable: %v", p)
	}
	ev := data(t, e.do("GET", base, nil, nil), 200)
	if field(ev, "plugins", "testcrm", "enabled") != true || field(ev, "plugins", "hubspot", "enabled") != false {
		t.Fatalf("event plugins: %v", ev["plugins"])
	}

	// Sync now on an order from before activation queues it for Test CRM only.
	var stored []models.PretixOrder
	e.db.Where("event_slug = ?", "conf2026").Order("id").Find(&stored)
	if len(stored) < 2 {
		t.Fatalf("%d orders stored", len(stored))
	}
	manual := stored[0].Code
	q := data(t, e.do("POST", base+"/orders/"+manual+"/sync", nil, nil), 202)
	if providers := field(q, "queued", "providers").([]any); len(providers) != 1 || providers[0] != "testcrm" {
		t.Fatalf("queued for %v", providers)
	}

	// Once activated, a new order is queued by the enqueue rules on its own.
	var evID int64
	e.db.Model(&models.PretixEvent{}).Where("slug = ?", "conf2026").Pluck("id", &evID)
	if err := e.providers.Activate(ctx, evID, "testcrm"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(1)
	placed, err := e.pxFake.PlaceOrder(pxOrganizer, "conf2026", pretixfake.Order{Email: pretixfake.Str("new@example.org"), Status: pretixfake.StatusPaid,
		Positions: []pretixfake.Position{{Item: firstItemID(t, e), Price: "10.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	crm.reject[placed.Code] = true
	if _, err := e.pretix.PullOrganizer(ctx, int64(org["id"].(float64))); err != nil {
		t.Fatal(err)
	}
	var jobs []models.SyncJob
	e.db.Where("provider = ?", "testcrm").Order("order_id").Find(&jobs)
	if len(jobs) != 2 {
		t.Fatalf("%d Test CRM jobs queued, want the manual one and the new order", len(jobs))
	}

	// The runner claims and runs them; the order box shows what happened.
	if err := e.runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(crm.seen) != 2 {
		t.Fatalf("Test CRM synced %v", crm.seen)
	}
	box := data(t, e.do("GET", base+"/orders/"+manual+"/sync", nil, nil), 200)
	ps := box["providers"].([]any)
	var mine map[string]any
	for _, p := range ps {
		if p := p.(map[string]any); p["provider"] == "testcrm" {
			mine = p
		}
	}
	if mine == nil || mine["display_name"] != "Test CRM" || mine["job"] != nil ||
		field(mine, "results", 0, "external_id") != "crm-"+manual {
		t.Fatalf("order box: %v", ps)
	}
	// The refused order is a problem on the event's and the organizer's page.
	for _, path := range []string{base + "/sync-problems", "/api/organizers/democon/sync-problems"} {
		pl := data(t, e.do("GET", path, nil, nil), 200)
		items := pl["items"].([]any)
		if len(items) != 1 || field(items[0], "order_code") != placed.Code || field(items[0], "display_name") != "Test CRM" ||
			!strings.Contains(field(items[0], "error").(string), "refused order "+placed.Code) {
			t.Errorf("%s: %v", path, pl)
		}
	}
}

// firstItemID is the id of the first product of conf2026 in the emulator.
func firstItemID(t *testing.T, e *testEnv) int64 {
	t.Helper()
	var items []struct {
		ID int64 `json:"id"`
	}
	var ev models.PretixEvent
	if err := e.db.Where("slug = ?", "conf2026").Take(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ev.ItemsJSON), &items); err != nil || len(items) == 0 {
		t.Fatalf("items %v %v", items, err)
	}
	return items[0].ID
}
