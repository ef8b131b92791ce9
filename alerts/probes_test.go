package alerts

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

type conns []hubspot.Connection

func (c conns) Connections(context.Context) ([]hubspot.Connection, error) { return c, nil }

type limits []hubspot.GovernorState

func (l limits) States() []hubspot.GovernorState { return l }

// The probes turn the engine's and the HubSpot side's state into
// conditions: only the ones that need a person, each with a stable key, a
// message that says what to do and a link to where it is done.
func TestProbes(t *testing.T) {
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	must(t, db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, name, webhook_secret_hash, created_at, updated_at) VALUES (1, 'https://pretix.example/api/v1/', 'democon', 'DemoCon Events', 'x', ?, ?)`, now, now).Error)
	must(t, db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, name_json, created_at, updated_at, refreshed_at) VALUES (7, 1, 'conf2026', '{"de":"Konferenz"}', ?, ?, ?)`, now, now, now).Error)
	must(t, db.Exec(`INSERT INTO hubspot_event_links (event_id, hub_id, linked_at) VALUES (7, 42, ?)`, now).Error)
	ctx := context.Background()

	for _, tc := range []struct {
		name  string
		probe Probe
		want  []Condition // Key, Subject, Link; Body checked by a fragment in Label
		body  string
	}{
		{"reconnect", ReconnectProbe(db, conns{
			{HubID: 41, State: models.HubSpotStateActive},
			{HubID: 42, HubDomain: "acme.hubspot.com", State: models.HubSpotStateNeedsReconnect, StateReason: "The app was uninstalled from HubSpot."},
			{HubID: 43, State: models.HubSpotStateRemoved},
		}), []Condition{{Key: "reconnect:hub:42", Subject: "HubSpot account 42 (acme.hubspot.com) needs reconnecting",
			Link: "/organizers/democon/events/conf2026/settings/hubspot"}}, "The app was uninstalled from HubSpot."},
		{"daily limit", DailyLimitProbe(limits{
			{HubID: 41},
			{HubID: 42, Reason: hubspot.PauseDaily, PausedUntil: now.Add(5 * time.Hour)},
			{HubID: 43, Reason: hubspot.PauseTenSecondly, PausedUntil: now.Add(time.Second)},
		}), []Condition{{Key: "daily:hub:42", Subject: "HubSpot account 42 reached its daily API limit", Link: "/"}}, "Fri, 04 Dec 2026 14:00:00 UTC"},
	} {
		got, err := tc.probe.List(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %+v", tc.name, got)
		}
		for i, w := range tc.want {
			g := got[i]
			if g.Key != w.Key || g.Subject != w.Subject || g.Link != w.Link || g.Kind != tc.probe.Kind || !strings.Contains(g.Body, tc.body) {
				t.Errorf("%s: %+v, want key %s subject %q link %s body with %q", tc.name, g, w.Key, w.Subject, w.Link, tc.body)
			}
		}
	}
	if got := eventName(`{"de":"Konferenz"}`, "conf2026"); got != "Konferenz" {
		t.Errorf("event name %q", got)
	}
}
