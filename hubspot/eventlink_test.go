package hubspot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

// seedEvent inserts an organizer (once) and an event, returning the event id.
func seedEvent(t *testing.T, db *gorm.DB, slug string) int64 {
	t.Helper()
	now := time.Now().UTC()
	if err := db.Exec(`INSERT OR IGNORE INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at)
		VALUES (1, 'https://pretix.example', 'democon', 'h1', ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	ev := models.PretixEvent{OrganizerID: 1, Slug: slug, NameJSON: `{"en":"` + slug + `"}`, CreatedAt: now, UpdatedAt: now}
	if err := db.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// activations records what LinkEvent told Options.OnActivated.
type activations struct{ events []int64 }

func (a *activations) hook(o *Options) {
	o.OnActivated = func(_ context.Context, eventID int64) error {
		a.events = append(a.events, eventID)
		return nil
	}
}

func TestLinkEventActivates(t *testing.T) {
	var act activations
	h := newHarness(t, hubspotfake.Options{}, act.hook)
	ctx := context.Background()
	ev := seedEvent(t, h.db, "conf")
	other := seedEvent(t, h.db, "workshops")

	if err := h.svc.LinkEvent(ctx, ev, hubEU); err == nil {
		t.Fatal("linking to a portal that is not connected must fail")
	}
	if len(act.events) != 0 {
		t.Fatalf("activated %v without a connection", act.events)
	}
	h.connect(hubEU)
	if err := h.svc.LinkEvent(ctx, ev, hubEU); err != nil {
		t.Fatal(err)
	}
	// Linking again tells again: the engine keeps the first moment.
	if err := h.svc.LinkEvent(ctx, ev, hubEU); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.LinkEvent(ctx, other, hubEU); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(act.events) != fmt.Sprint([]int64{ev, ev, other}) {
		t.Errorf("activations %v, want [%d %d %d]", act.events, ev, ev, other)
	}
	hub, ok, err := h.svc.EventHub(ctx, ev)
	if err != nil || !ok || hub != hubEU {
		t.Errorf("EventHub = %d %v %v", hub, ok, err)
	}
	ids, err := h.svc.LinkedEvents(ctx, hubEU)
	if err != nil || len(ids) != 2 {
		t.Errorf("linked events = %v, %v", ids, err)
	}
	st, err := h.svc.EventStatus(ctx, ev)
	if err != nil || st.State != EventActive || st.SharedWith != 1 || st.Connection.HubID != hubEU || !st.AppConfigured {
		t.Errorf("status = %+v, %v", st, err)
	}
	if err := h.svc.UnlinkEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := h.svc.EventHub(ctx, ev); ok {
		t.Error("still linked after UnlinkEvent")
	}
}

func TestLinkToParkedConnectionDoesNotActivate(t *testing.T) {
	var act activations
	h := newHarness(t, hubspotfake.Options{}, act.hook)
	ctx := context.Background()
	ev := seedEvent(t, h.db, "conf")
	h.connect(hubEU)
	if err := h.svc.store.markNeedsReconnect(ctx, hubEU, "refresh token revoked"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.LinkEvent(ctx, ev, hubEU); err != nil {
		t.Fatal(err)
	}
	if len(act.events) != 0 {
		t.Errorf("activated %v through a connection that needs reconnecting", act.events)
	}
}

func TestClientForEvent(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(h *harness, ev int64)
		wantCode string
		wantMsg  string
	}{
		{name: "not linked", setup: func(*harness, int64) {}, wantCode: "hubspot_event_not_connected",
			wantMsg: "This event is not connected to HubSpot. Open Settings → HubSpot and click Request access."},
		{name: "active", setup: func(h *harness, ev int64) {
			h.connect(hubEU)
			if err := h.svc.LinkEvent(context.Background(), ev, hubEU); err != nil {
				h.t.Fatal(err)
			}
		}},
		{name: "needs reconnect", setup: func(h *harness, ev int64) {
			h.connect(hubEU)
			_ = h.svc.LinkEvent(context.Background(), ev, hubEU)
			_ = h.svc.store.markNeedsReconnect(context.Background(), hubEU, "the refresh token was revoked")
		}, wantCode: "hubspot_needs_reconnect", wantMsg: "click Reconnect"},
		{name: "disconnected", setup: func(h *harness, ev int64) {
			h.connect(hubEU)
			_ = h.svc.LinkEvent(context.Background(), ev, hubEU)
			if err := h.svc.DisconnectEvent(context.Background(), ev); err != nil {
				h.t.Fatal(err)
			}
		}, wantCode: "hubspot_event_not_connected", wantMsg: "was disconnected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, hubspotfake.Options{}, nil)
			ev := seedEvent(t, h.db, "conf")
			tt.setup(h, ev)
			cl, conn, err := h.svc.ClientForEvent(context.Background(), ev)
			if tt.wantCode == "" {
				if err != nil || cl == nil || conn == nil || conn.HubID != hubEU {
					t.Fatalf("ClientForEvent = %v %+v %v", cl, conn, err)
				}
				if _, err := cl.Properties(context.Background(), Contacts); err != nil {
					t.Fatalf("client does not work: %v", err)
				}
				return
			}
			ae, ok := apperr.As(err)
			if !ok || ae.Code != tt.wantCode || !strings.Contains(ae.Message, tt.wantMsg) {
				t.Fatalf("err = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
			}
			if ClassOf(err) != ClassConfig {
				t.Errorf("class = %q, want config (jobs park as Misconfiguration)", ClassOf(err))
			}
		})
	}
}

func TestEventConnectRoundTrip(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{Portals: []hubspotfake.Portal{{ID: hubEU, Name: "EU", TimeZone: "Europe/Berlin",
		UnavailableScopes: []string{"crm.schemas.deals.write"}}}}, nil)
	ctx := context.Background()
	ev := seedEvent(t, h.db, "conf")
	u, err := h.svc.BeginEventConnect(ctx, "sess", ev, "/organizers/democon/events/conf/settings/hubspot")
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := hubspotfake.Approve(ctx, h.http, u, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.CompleteEventConnect(ctx, "sess", redirect.Query())
	if err != nil {
		t.Fatal(err)
	}
	if res.EventID != ev || res.ReturnTo != "/organizers/democon/events/conf/settings/hubspot" || res.Connection.HubID != hubEU {
		t.Fatalf("result = %+v", res)
	}
	st, err := h.svc.EventStatus(ctx, ev)
	if err != nil || st.State != EventActive {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if len(st.OptionalScope) != 1 || st.OptionalScope[0].Scope != "crm.schemas.deals.write" || !strings.Contains(st.OptionalScope[0].Purpose, "unique order-key property") {
		t.Errorf("missing optional scopes = %+v", st.OptionalScope)
	}
	// A denial still says where to return.
	u, _ = h.svc.BeginEventConnect(ctx, "sess", ev, "/back")
	redirect, err = hubspotfake.Deny(ctx, h.http, u, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	res, err = h.svc.CompleteEventConnect(ctx, "sess", redirect.Query())
	if ae, ok := apperr.As(err); !ok || ae.Code != "hubspot_access_denied" || res.ReturnTo != "/back" || res.EventID != ev {
		t.Errorf("deny: %+v, %v", res, err)
	}
}

func TestEventStatusDailyPause(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	ev := seedEvent(t, h.db, "conf")
	h.connect(hubEU)
	if err := h.svc.LinkEvent(ctx, ev, hubEU); err != nil {
		t.Fatal(err)
	}
	h.svc.governor.SetTimeZone(hubEU, mustLoc(t, "Europe/Berlin"))
	until := h.svc.governor.portal(hubEU).onRateLimited("DAILY", time.Time{})
	st, err := h.svc.EventStatus(ctx, ev)
	if err != nil || st.RateLimit == nil {
		t.Fatalf("status = %+v, %v", st, err)
	}
	want := until.In(mustLoc(t, "Europe/Berlin")).Format("2006-01-02 15:04 MST")
	if st.RateLimit.Reason != PauseDaily || st.RateLimit.Message != "HubSpot's daily API limit is reached; syncing resumes at "+want+" (portal time)." {
		t.Errorf("pause = %+v", st.RateLimit)
	}
	if !strings.HasSuffix(want, "00:00 CET") {
		t.Errorf("daily pause ends at %s, want the portal's midnight", want)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestAppSettings(t *testing.T) {
	tests := []struct {
		name          string
		envID, envSec string
		save          [2]string
		wantErr       string
		check         func(t *testing.T, a *AppSettings)
	}{
		{name: "saved in the database", save: [2]string{" my-id ", "my-secret"}, check: func(t *testing.T, a *AppSettings) {
			if a.ClientID != "my-id" || !a.ClientSecretSet || a.FromEnv || !a.Configured || a.UpdatedAt == nil {
				t.Errorf("settings = %+v", a)
			}
		}},
		{name: "secret required the first time", save: [2]string{"my-id", ""}, wantErr: "hubspot_client_secret_missing"},
		{name: "environment wins and locks the form", envID: "env-id", envSec: "env-secret", save: [2]string{"x", "y"}, wantErr: "hubspot_app_from_env"},
		{name: "half an environment is ignored and said so", envID: "env-id", save: [2]string{"db-id", "db-secret"}, check: func(t *testing.T, a *AppSettings) {
			if a.FromEnv || a.ClientID != "db-id" || !strings.Contains(a.EnvNote, "PRETIX_HUBSPOT_HUBSPOT_CLIENT_SECRET is not") {
				t.Errorf("settings = %+v", a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, hubspotfake.Options{}, func(o *Options) { o.ClientID, o.ClientSecret = tt.envID, tt.envSec })
			a, err := h.svc.SaveAppSettings(context.Background(), tt.save[0], tt.save[1])
			if tt.wantErr != "" {
				if ae, ok := apperr.As(err); !ok || ae.Code != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.RedirectURI != "http://localhost:8080/api/hubspot/callback" || len(a.RequiredScopes) != len(RequiredScopes) || len(a.OptionalScopes) != len(OptionalScopes) {
				t.Errorf("registration info = %+v", a)
			}
			for _, s := range append(a.RequiredScopes, a.OptionalScopes...) {
				if s.Purpose == "" {
					t.Errorf("scope %s has no purpose", s.Scope)
				}
			}
			tt.check(t, a)
			// An empty secret keeps the stored one.
			if !a.FromEnv {
				if _, err := h.svc.SaveAppSettings(context.Background(), "other-id", ""); err != nil {
					t.Fatal(err)
				}
				id, sec, _ := h.svc.store.AppCredentials(context.Background())
				if id != "other-id" || sec != strings.TrimSpace(tt.save[1]) {
					t.Errorf("after re-save: %q %q", id, sec)
				}
			}
		})
	}
}
