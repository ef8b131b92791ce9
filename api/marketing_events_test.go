package api

import (
	"context"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMarketingEventSectionAPI(t *testing.T) {
	e := syncSetup(t, "conf2026")
	path := syncConf + "/hubspot/marketing-event"

	// Not connected yet: the defaults, nothing in HubSpot.
	d := data(t, e.do("GET", path, nil, nil), 200)
	if d["enabled"] != false || d["email_from"] != "attendee" || d["register_on"] != "placed" || d["connected"] != false || len(d["events"].([]any)) != 0 {
		t.Fatalf("defaults = %v", d)
	}

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown email source", map[string]any{"enabled": true, "email_from": "guest", "register_on": "placed"}, "email_from"},
		{"unknown trigger", map[string]any{"enabled": true, "email_from": "buyer", "register_on": "approved"}, "register_on"},
		{"event type too long", map[string]any{"enabled": true, "email_from": "buyer", "register_on": "paid", "event_type": strings.Repeat("x", 101)}, "event_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", path, tc.body, nil)
			if r.Status != 400 || !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if d := data(t, e.do("GET", path, nil, nil), 200); d["enabled"] != false {
		t.Fatalf("a refused save changed the settings: %v", d)
	}

	e.connectHubSpot()
	d = data(t, e.do("PUT", path, map[string]any{"enabled": true, "email_from": "attendee", "register_on": "placed", "event_type": " Conference "}, nil), 200)
	if d["enabled"] != true || d["event_type"] != "Conference" || d["connected"] != true || len(d["missing_scopes"].([]any)) != 0 {
		t.Fatalf("saved = %v", d)
	}

	// A synced order creates the marketing event and registers its people.
	o := e.orders("conf2026")[0]
	data(t, e.do("POST", syncConf+"/orders/"+o.Code+"/sync", nil, nil), 202)
	if err := e.runner.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	d = data(t, e.do("GET", path, nil, nil), 200)
	evs := d["events"].([]any)
	if len(evs) != 1 {
		t.Fatalf("events = %v", d["events"])
	}
	ev := evs[0].(map[string]any)
	if ev["name"] != "DemoCon 2026" || ev["external_event_id"] != "conf2026" || ev["registered"].(float64) < 1 ||
		!strings.Contains(ev["link"].(string), "/record/0-54/"+ev["object_id"].(string)) {
		t.Errorf("event = %v", ev)
	}
	mes := e.hsFake.MarketingEvents(hsTestHub)
	if len(mes) != 1 || len(mes[0].Participants) != int(ev["registered"].(float64)) {
		t.Errorf("emulator: %+v", mes)
	}

	// A new order, then a scan at the door: the pull sees the check-in and
	// the attendee is marked attended, although the event's re-sync
	// options are off.
	ctx := context.Background()
	placed, err := e.pxFake.PlaceRandomOrder(pxOrganizer, "conf2026", rand.New(rand.NewSource(9)))
	if err != nil {
		t.Fatal(err)
	}
	pull := func() {
		t.Helper()
		var orgID int64
		e.db.Raw(`SELECT id FROM pretix_organizers`).Scan(&orgID)
		if _, err := e.pretix.PullOrganizer(ctx, orgID); err != nil {
			t.Fatal(err)
		}
		if err := e.runner.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pull()
	pos := placed.Positions[0]
	at := time.Date(2026, 12, 1, 9, 12, 0, 0, time.UTC)
	if _, err := e.pxFake.Scan(pxOrganizer, "conf2026", placed.Code, pos.ID, at); err != nil {
		t.Fatal(err)
	}
	pull()
	var attended []string
	for _, p := range e.hsFake.MarketingEvents(hsTestHub)[0].Participants {
		if p.State == "ATTENDED" {
			attended = append(attended, p.JoinedAt)
		}
	}
	if len(attended) != 1 || attended[0] != strconv.FormatInt(at.UnixMilli(), 10) {
		t.Errorf("attended joinedAt = %v, want one at %d", attended, at.UnixMilli())
	}
}
