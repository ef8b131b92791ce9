package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

const (
	syncToken = "pat-sync-screens-test"
	syncConf  = "/api/organizers/democon/events/conf2026"
	syncWork  = "/api/organizers/democon/events/workshops"
)

type storedOrder struct {
	ID   int64
	Code string
}

// syncSetup connects the pretix emulator's organizer with orders in both
// events and enables HubSpot for them (the event_providers rows the queue
// needs); HubSpot itself is not connected.
func syncSetup(t *testing.T, enable ...string) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 24, 11)
	e.pxGenerate("workshops", 6, 12)
	e.pxConnect()
	for _, ev := range enable {
		r := e.do("PUT", "/api/organizers/democon/events/"+ev+"/plugins/hubspot", map[string]bool{"enabled": true}, nil)
		if r.Status != 200 {
			t.Fatalf("enable HubSpot for %s: %d %s", ev, r.Status, r.Body)
		}
	}
	return e
}

// orders returns the stored orders of an event, oldest first.
func (e *testEnv) orders(event string) []storedOrder {
	e.t.Helper()
	var out []storedOrder
	if err := e.db.Raw(`SELECT id, code FROM pretix_orders WHERE event_slug = ? ORDER BY datetime, id`, event).Scan(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	if len(out) == 0 {
		e.t.Fatalf("no orders stored for %s", event)
	}
	return out
}

// connectHubSpot links conf2026 to the emulator's first portal with a
// private app token and accepts the suggested mapping (Order → Contacts by
// e-mail).
func (e *testEnv) connectHubSpot() {
	e.t.Helper()
	all := append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...)
	e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: syncToken, HubID: hsTestHub, Scopes: all})
	r := e.do("POST", syncConf+"/hubspot/token", map[string]string{"token": syncToken, "hub_id": fmt.Sprint(hsTestHub)}, nil)
	if r.Status != 200 {
		e.t.Fatalf("connect HubSpot: %d %s", r.Status, r.Body)
	}
	data(e.t, e.do("POST", syncConf+"/mappings/suggestion", nil, nil), 201)
}

func (e *testEnv) setJob(orderID int64, cols map[string]any) {
	e.t.Helper()
	if err := e.db.Model(&models.SyncJob{}).Where("order_id = ?", orderID).Updates(cols).Error; err != nil {
		e.t.Fatal(err)
	}
}

// hubspotBox returns the order box's HubSpot part.
func hubspotBox(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	d := data(t, r, status)
	ps, _ := d["providers"].([]any)
	if len(ps) != 1 {
		t.Fatalf("providers %v", d["providers"])
	}
	p := ps[0].(map[string]any)
	if p["provider"] != "hubspot" || p["display_name"] != "HubSpot" {
		t.Fatalf("provider %v", p)
	}
	return p
}

func TestOrderSyncBoxAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	e.connectHubSpot()
	ords := e.orders("conf2026")
	o := ords[0]
	path := syncConf + "/orders/" + o.Code + "/sync"

	p := hubspotBox(t, e.do("GET", path, nil, nil), 200)
	if p["job"] != nil || len(p["results"].([]any)) != 0 || p["enabled"] != true {
		t.Fatalf("before Sync now: %v", p)
	}

	// Sync now: 202, a pending manual job, the worker poked.
	pokes := e.pokes.Load()
	r := e.do("POST", path, nil, nil)
	p = hubspotBox(t, r, 202)
	job, _ := p["job"].(map[string]any)
	if job == nil || job["state"] != "pending" || job["triggered_by"] != "manual" || e.pokes.Load() != pokes+1 {
		t.Fatalf("after Sync now: job %v, pokes %d→%d", job, pokes, e.pokes.Load())
	}
	if q := data(t, r, 202)["queued"].(map[string]any); q["queued"] != float64(1) {
		t.Errorf("queued %v", q)
	}

	// The worker runs: the job is gone, the contact is linked.
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	p = hubspotBox(t, e.do("GET", path, nil, nil), 200)
	res, _ := p["results"].([]any)
	if p["job"] != nil || len(res) != 1 {
		t.Fatalf("after the run: %v", p)
	}
	rec := res[0].(map[string]any)
	if link, _ := rec["link"].(string); !strings.Contains(link, fmt.Sprintf("/contacts/%d/record/0-1/", hsTestHub)) ||
		rec["object_type"] != "contacts" || rec["action"] != "created" || rec["transmitted_at"] == "" {
		t.Errorf("result %v", rec)
	}
	detail := data(t, e.do("GET", syncConf+"/orders/"+o.Code, nil, nil), 200)
	if log := fmt.Sprint(detail["log"]); !strings.Contains(log, "Data transferred to HubSpot") {
		t.Errorf("order history has no transfer entry: %s", log)
	}

	// A failed job shows its label and HubSpot's message; Retry now makes
	// it pending again (fresh attempts) and pokes; Cancel removes it.
	e.do("POST", path, nil, nil)
	e.setJob(o.ID, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Property values were not valid"})
	job = hubspotBox(t, e.do("GET", path, nil, nil), 200)["job"].(map[string]any)
	if job["state"] != "failed" || job["label"] != "Provider reported a permanent error" || job["error"] != "Property values were not valid" {
		t.Errorf("failed job %v", job)
	}
	pokes = e.pokes.Load()
	job = hubspotBox(t, e.do("POST", path+"/retry", nil, nil), 202)["job"].(map[string]any)
	if job["state"] != "pending" || job["attempts"] != float64(0) || job["error"] != "" || e.pokes.Load() != pokes+1 {
		t.Errorf("after Retry now: %v", job)
	}
	e.setJob(o.ID, map[string]any{"state": "in_flight"})
	if code, _ := errorOf(t, e.do("POST", path+"/cancel", nil, nil)); code != "sync_job_in_flight" {
		t.Errorf("cancel while in flight: %s", code)
	}
	e.setJob(o.ID, map[string]any{"state": "pending"})
	if p := hubspotBox(t, e.do("POST", path+"/cancel", nil, nil), 200); p["job"] != nil {
		t.Errorf("after Cancel: %v", p)
	}

	for _, tc := range []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"retry without a job", "POST", path + "/retry", 404, "sync_job_not_found"},
		{"cancel without a job", "POST", path + "/cancel", 404, "sync_job_not_found"},
		{"unknown order", "GET", syncConf + "/orders/NOPE1/sync", 404, "order_not_found"},
		{"order of another event", "POST", syncWork + "/orders/" + o.Code + "/sync", 404, "order_not_found"},
		{"event without HubSpot", "POST", syncWork + "/orders/" + e.orders("workshops")[0].Code + "/sync", 400, "sync_not_set_up"},
		{"unknown event", "GET", "/api/organizers/democon/events/nope/orders/" + o.Code + "/sync", 404, "event_not_found"},
	} {
		r := e.do(tc.method, tc.path, nil, nil)
		if code, _ := errorOf(t, r); r.Status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, code, tc.status, tc.code)
		}
	}
}

func TestSyncNowWaitsWhileHubSpotIsDisabled(t *testing.T) {
	e := syncSetup(t, "conf2026")
	e.do("PUT", syncConf+"/plugins/hubspot", map[string]bool{"enabled": false}, nil)
	o := e.orders("conf2026")[0]
	d := data(t, e.do("POST", syncConf+"/orders/"+o.Code+"/sync", nil, nil), 202)
	if q := d["queued"].(map[string]any); fmt.Sprint(q["paused"]) != "[hubspot]" {
		t.Errorf("paused providers %v", q["paused"])
	}
	p := d["providers"].([]any)[0].(map[string]any)
	if p["enabled"] != false || p["job"].(map[string]any)["state"] != "pending" {
		t.Errorf("box %v", p)
	}
}

func TestSyncWarningAPI(t *testing.T) {
	e := syncSetup(t, "conf2026", "workshops")
	o := e.orders("conf2026")[3]
	flag := func(ev string) any {
		return data(t, e.do("GET", "/api/organizers/democon/events/"+ev+"/sync-warning", nil, nil), 200)["has_problems"]
	}
	if flag("conf2026") != false {
		t.Fatal("warning without any job")
	}
	data(t, e.do("POST", syncConf+"/orders/"+o.Code+"/sync", nil, nil), 202)
	if flag("conf2026") != false {
		t.Error("a merely pending job is no problem")
	}
	// A first failed attempt that will be retried counts, like pretix.
	e.setJob(o.ID, map[string]any{"attempts": 1, "last_error": "Bad Gateway", "not_before": e.clock.Now().Add(time.Hour)})
	if flag("conf2026") != true || flag("workshops") != false {
		t.Error("retrying job: warning on conf2026 only")
	}
	e.setJob(o.ID, map[string]any{"state": "failed", "failure_mode": "config"})
	if flag("conf2026") != true {
		t.Error("failed job: no warning")
	}
}

func TestSyncScreensNeedSessionAndCSRF(t *testing.T) {
	e := syncSetup(t, "conf2026")
	code := e.orders("conf2026")[0].Code
	routes := []struct{ method, path string }{
		{"GET", syncConf + "/orders/" + code + "/sync"},
		{"POST", syncConf + "/orders/" + code + "/sync"},
		{"POST", syncConf + "/orders/" + code + "/sync/retry"},
		{"POST", syncConf + "/orders/" + code + "/sync/cancel"},
		{"GET", syncConf + "/sync-warning"},
		{"GET", syncConf + "/sync-problems"},
		{"POST", syncConf + "/sync-problems/retry"},
		{"POST", syncConf + "/sync-problems/cancel"},
		{"GET", "/api/organizers/democon/sync-problems"},
		{"POST", "/api/organizers/democon/sync-problems/retry"},
		{"POST", "/api/organizers/democon/sync-problems/cancel"},
		{"POST", syncConf + "/sync-bulk"},
		{"GET", syncConf + "/sync-bulk/current"},
		{"GET", syncConf + "/sync-bulk/1"},
		{"POST", syncConf + "/sync-bulk/1/cancel"},
	}
	for _, rt := range routes {
		if rt.method == "POST" {
			if r := e.do(rt.method, rt.path, map[string]any{}, map[string]string{"X-CSRF-Token": "wrong"}); r.Status != 403 {
				t.Errorf("%s %s with a wrong CSRF token: %d", rt.method, rt.path, r.Status)
			}
		}
	}
	e.do("POST", "/api/logout", nil, nil)
	e.refreshCSRF()
	for _, rt := range routes {
		if r := e.do(rt.method, rt.path, map[string]any{}, nil); r.Status != 401 {
			t.Errorf("%s %s without a session: %d", rt.method, rt.path, r.Status)
		}
	}
	var jobs int64
	e.db.Model(&models.SyncJob{}).Count(&jobs)
	if jobs != 0 {
		t.Errorf("%d jobs queued by refused requests", jobs)
	}
}

// During setup an order waits in its box with the reason, the event shows no
// problem, and saving the first mapping sends it on by itself.
func TestOrderWaitsForTheFirstMappingAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	all := append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...)
	e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: syncToken, HubID: hsTestHub, Scopes: all})
	if r := e.do("POST", syncConf+"/hubspot/token", map[string]string{"token": syncToken, "hub_id": fmt.Sprint(hsTestHub)}, nil); r.Status != 200 {
		t.Fatalf("connect HubSpot: %d %s", r.Status, r.Body)
	}
	o := e.orders("conf2026")[0]
	path := syncConf + "/orders/" + o.Code + "/sync"
	hubspotBox(t, e.do("POST", path, nil, nil), 202)
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	job, _ := hubspotBox(t, e.do("GET", path, nil, nil), 200)["job"].(map[string]any)
	if job == nil || job["state"] != "waiting" || !strings.HasPrefix(fmt.Sprint(job["wait_reason"]), "Waiting for a HubSpot mapping") || job["label"] != "" {
		t.Fatalf("during setup: job %v", job)
	}
	if w := data(t, e.do("GET", syncConf+"/sync-warning", nil, nil), 200); w["has_problems"] != false {
		t.Errorf("sync warning during setup: %v", w)
	}

	pokes := e.pokes.Load()
	data(t, e.do("POST", syncConf+"/mappings/suggestion", nil, nil), 201)
	job, _ = hubspotBox(t, e.do("GET", path, nil, nil), 200)["job"].(map[string]any)
	if job == nil || job["state"] != "pending" || e.pokes.Load() == pokes {
		t.Fatalf("after saving the mapping: job %v, pokes %d→%d", job, pokes, e.pokes.Load())
	}
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := hubspotBox(t, e.do("GET", path, nil, nil), 200); p["job"] != nil || len(p["results"].([]any)) != 1 {
		t.Errorf("after the run: %v", p)
	}
}

// Sync now and Retry now send what pretix holds now: the order is read
// again first (no webhook told us of the change). When pretix cannot be
// read, the error says so and nothing is queued.
func TestSyncNowSendsWhatPretixHoldsNowAPI(t *testing.T) {
	for _, tc := range []struct {
		name   string
		action string // the order box's button
	}{
		{"Sync now", ""},
		{"Retry now", "/retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := syncSetup(t, "conf2026")
			e.connectHubSpot()
			o := e.orders("conf2026")[0]
			path := syncConf + "/orders/" + o.Code + "/sync"
			if tc.action != "" {
				hubspotBox(t, e.do("POST", path, nil, nil), 202)
				e.setJob(o.ID, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "x"})
			}
			city := "Refreshburg " + tc.name
			if _, err := e.pxFake.ModifyOrder(pxOrganizer, "conf2026", o.Code, "", func(po *pretixfake.Order) {
				if po.InvoiceAddress == nil {
					po.InvoiceAddress = &pretixfake.InvoiceAddress{}
				}
				po.InvoiceAddress.City = city
			}); err != nil {
				t.Fatal(err)
			}
			hubspotBox(t, e.do("POST", path+tc.action, nil, nil), 202)
			if err := e.runner.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			live, _ := e.pxFake.Order(pxOrganizer, "conf2026", o.Code)
			c, ok := e.hsFake.FindRecord(hsTestHub, "contacts", "email", strings.ToLower(*live.Email))
			if !ok || c.Properties["city"] != city {
				t.Fatalf("HubSpot contact %v (found %v); want city %q", c.Properties, ok, city)
			}

			// pretix refuses the token: the error is shown, nothing queued.
			e.pxFake.RemoveToken(pxToken)
			r := e.do("POST", path, nil, nil)
			code, _ := errorOf(t, r)
			msg := fmt.Sprint(r.json(t)["error"].(map[string]any)["message"])
			if r.Status == 202 || code != "pretix_refresh_failed" || !strings.Contains(msg, "not queued") || !strings.Contains(msg, "token") {
				t.Errorf("with pretix refusing: %d %s %q", r.Status, code, msg)
			}
			if p := hubspotBox(t, e.do("GET", path, nil, nil), 200); p["job"] != nil {
				t.Errorf("queued although pretix could not be read: %v", p["job"])
			}
		})
	}
}
