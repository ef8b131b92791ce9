package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

const (
	hubFull    = 24681357 // token with the schema write scopes
	hubNoWrite = 13579246 // token without them
)

// harness is the mapping service on a real database, with two events
// (devcon25's catalogue) linked to two emulated HubSpot portals.
type harness struct {
	t       *testing.T
	ctx     context.Context
	db      *gorm.DB
	fake    *hubspotfake.Server
	hs      *hubspot.Service
	svc     *Service
	event   int64 // linked to hubFull
	other   int64 // linked to hubNoWrite
	orgID   int64
	convert ConvertFunc
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "datasync", "fields", "testdata", "devcon25", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })

	all := append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...)
	fake := hubspotfake.New(hubspotfake.Options{Clock: clock, RateLimit: hubspotfake.RateLimit{Off: true},
		StaticTokens: []hubspotfake.StaticToken{
			{Token: "pat-full", HubID: hubFull, Scopes: all},
			{Token: "pat-nowrite", HubID: hubNoWrite, Scopes: hubspot.RequiredScopes},
		}})
	ts := httptest.NewServer(fake.Handler())
	t.Cleanup(ts.Close)
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	hs := hubspot.NewService(hubspot.Options{DB: db, Box: box, APIBaseURL: ts.URL, AppBaseURL: ts.URL, Clock: clock,
		HTTPClient: ts.Client(), Rand: rand.New(rand.NewPCG(1, 2)), Logger: slog.New(slog.DiscardHandler), NoHedging: true})

	h := &harness{t: t, ctx: ctx, db: db, fake: fake, hs: hs}
	h.orgID = h.insert(&models.PretixOrganizer{BaseURL: "https://pretix.example", Slug: "acme", Name: "ACME", WebhookSecretHash: "x",
		CreatedAt: clock.Now(), UpdatedAt: clock.Now()})
	h.event = h.addEvent("devcon25")
	h.other = h.addEvent("devcon26")
	for _, c := range []struct {
		tok   string
		hub   int64
		event int64
	}{{"pat-full", hubFull, h.event}, {"pat-nowrite", hubNoWrite, h.other}} {
		if _, err := hs.ConnectStatic(ctx, c.tok, c.hub); err != nil {
			t.Fatal(err)
		}
		if err := hs.LinkEvent(ctx, c.event, c.hub); err != nil {
			t.Fatal(err)
		}
	}
	// A stand-in for hubspotsync.Convert that shows the service hands over
	// property, value and value map; the converter's rules are tested with it.
	h.convert = func(p hubspot.Property, v fields.Value, vm map[string]string) (string, error) {
		s := v.Text()
		if v.Kind == fields.KindChoice {
			if m, ok := vm[v.Str]; ok {
				s = m
			} else if len(vm) > 0 {
				return "", apperr.Invalid("value_map_missing", fmt.Sprintf("no value for %q", v.Str))
			}
		}
		return p.Name + "=" + s, nil
	}
	h.svc = NewService(Options{DB: db, Portals: hs, Clock: clock, Convert: func(p hubspot.Property, v fields.Value, vm map[string]string) (string, error) {
		return h.convert(p, v, vm)
	}})
	return h
}

func (h *harness) insert(v any) int64 {
	h.t.Helper()
	if err := h.db.Create(v).Error; err != nil {
		h.t.Fatal(err)
	}
	switch m := v.(type) {
	case *models.PretixOrganizer:
		return m.ID
	case *models.PretixEvent:
		return m.ID
	case *models.PretixOrder:
		return m.ID
	}
	return 0
}

func (h *harness) addEvent(slug string) int64 {
	now := time.Now()
	ev := fixture(h.t, "event.json")
	return h.insert(&models.PretixEvent{OrganizerID: h.orgID, Slug: slug, NameJSON: `{"en":"DevCon"}`, EventJSON: ev,
		SettingsJSON: fixture(h.t, "settings.json"), ItemsJSON: fixture(h.t, "items.json"), QuestionsJSON: fixture(h.t, "questions.json"),
		CheckinListsJSON: fixture(h.t, "checkinlists.json"), CategoriesJSON: "[]", SubeventsJSON: "[]", LocalesJSON: `["en","de"]`,
		InPretix: true, CreatedAt: now, UpdatedAt: now})
}

// addOrder stores an order of the event from its pretix JSON.
func (h *harness) addOrder(event int64, raw map[string]any) {
	h.t.Helper()
	b, _ := json.Marshal(raw)
	dt, _ := time.Parse(time.RFC3339, raw["datetime"].(string))
	h.insert(&models.PretixOrder{OrganizerID: h.orgID, EventID: event, EventSlug: "devcon25", Code: raw["code"].(string),
		Status: raw["status"].(string), Email: fmt.Sprint(raw["email"]), Datetime: dt, LastModified: dt, RawJSON: string(b),
		SearchText: strings.ToLower(raw["code"].(string)), FirstSeenAt: dt, UpdatedAt: dt})
}

// order builds a minimal paid order; company may be empty.
func order(code, email, company string, n int) map[string]any {
	return map[string]any{
		"code": code, "event": "devcon25", "status": "p", "email": email, "locale": "en", "total": "100.00",
		"datetime": time.Date(2026, 4, 1, 10, n, 0, 0, time.UTC).Format(time.RFC3339),
		"invoice_address": map[string]any{"company": company, "name": "Ada Lovelace", "city": "London", "country": "GB",
			"name_parts": map[string]any{"_scheme": "title_given_middle_family", "given_name": "Ada", "family_name": "Lovelace"}},
		"positions": []any{map[string]any{"id": 1000 + n, "positionid": 1, "item": 1345, "price": "100.00",
			"attendee_name": "Ada", "attendee_email": fmt.Sprintf("att%d@example.org", n),
			"answers": []any{map[string]any{"question": 12, "question_identifier": "TSHIRT", "answer": "M", "options": []int{102}, "option_identifiers": []string{"SIZE-M"}}}}},
		"payments": []any{},
	}
}

// addProperty creates a custom property in a portal, as an admin would in
// HubSpot, and drops the cached definitions.
func (h *harness) addProperty(hub int64, ot hubspot.ObjectType, p hubspotfake.Property) {
	h.t.Helper()
	if err := h.fake.AddProperty(hub, string(ot), p); err != nil {
		h.t.Fatal(err)
	}
	c, err := h.hs.Client(h.ctx, hub)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := c.RefreshProperties(h.ctx, ot); err != nil {
		h.t.Fatal(err)
	}
}

// mustCreate adds a mapping.
func (h *harness) mustCreate(event int64, src, tgt string) *Mapping {
	h.t.Helper()
	m, err := h.svc.Create(h.ctx, event, CreateInput{SourceType: src, TargetType: tgt})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func appErr(t *testing.T, err error) *apperr.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	ae, ok := apperr.As(err)
	if !ok {
		t.Fatalf("not an apperr: %v", err)
	}
	return ae
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
