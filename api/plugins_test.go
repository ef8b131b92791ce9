package api

import (
	"strings"
	"testing"
	"time"

	"pretix-hubspot/models"
)

func TestPlugins(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	ev := hsSeedEvent(t, e, "conf2026")
	// A queued sync that must survive disabling.
	now := time.Now().UTC()
	o := models.PretixOrder{OrganizerID: 1, EventID: ev, EventSlug: "conf2026", Code: "ABC12", Status: "p", Datetime: now, LastModified: now,
		RawJSON: "{}", FirstSeenAt: now, UpdatedAt: now}
	if err := e.db.Create(&o).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.db.Create(&models.SyncJob{OrderID: o.ID, EventID: ev, Provider: "hubspot", TriggeredBy: "test", TriggeredAt: now,
		NotBefore: now, State: models.JobPending, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantInBody []string
		wantOn     *bool // the plugin's state afterwards, nil = don't check
	}{
		{"list: disabled at first", "GET", hsEvent + "/plugins", nil, 200, []string{`"id":"hubspot"`, `"label":"HubSpot"`, `"enabled":false`, `"category":"integrations"`}, hsPtr(false)},
		{"enable", "PUT", hsEvent + "/plugins/hubspot", map[string]bool{"enabled": true}, 200, []string{`"enabled":true`}, hsPtr(true)},
		{"disable keeps the queue and says so", "PUT", hsEvent + "/plugins/hubspot", map[string]bool{"enabled": false}, 200,
			[]string{`"enabled":false`, `"pending_jobs":1`, "1 pending sync waits until you enable HubSpot again."}, hsPtr(false)},
		{"enabled is required", "PUT", hsEvent + "/plugins/hubspot", map[string]any{}, 400, []string{`"enabled":"Required."`}, hsPtr(false)},
		{"unknown plugin", "PUT", hsEvent + "/plugins/salesforce", map[string]bool{"enabled": true}, 404, []string{"plugin_not_found"}, nil},
		{"unknown event", "GET", "/api/organizers/democon/events/nope/plugins", nil, 404, []string{"event_not_found", `has no event \"nope\"`}, nil},
		{"unknown organizer", "GET", "/api/organizers/nobody/events/conf2026/plugins", nil, 404, []string{"organizer_not_found"}, nil},
		{"enable again", "PUT", hsEvent + "/plugins/hubspot", map[string]bool{"enabled": true}, 200, []string{`"enabled":true`}, hsPtr(true)},
	}
	for _, s := range steps {
		r := e.do(s.method, s.path, s.body, nil)
		if r.Status != s.wantStatus {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		for _, want := range s.wantInBody {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("%s: body lacks %s: %s", s.name, want, r.Body)
			}
		}
		if s.wantOn != nil {
			plugins, err := e.providers.EventStates(t.Context(), ev)
			if err != nil || plugins["hubspot"].Enabled != *s.wantOn {
				t.Errorf("%s: plugins %v %v", s.name, plugins, err)
			}
		}
	}
	var n int64
	e.db.Model(&models.SyncJob{}).Where("event_id = ?", ev).Count(&n)
	if n != 1 {
		t.Errorf("jobs = %d, want the queued one kept", n)
	}
}

func hsPtr[T any](v T) *T { return &v }
