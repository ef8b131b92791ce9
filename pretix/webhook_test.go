package pretix

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/apperr"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
)

func secretOf(v *OrganizerView) string { return strings.TrimPrefix(v.WebhookPath, WebhookPathPrefix) }

func body(v any) *strings.Reader {
	b, _ := json.Marshal(v)
	return strings.NewReader(string(b))
}

func waitFetches(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitWebhookFetches(ctx); err != nil {
		t.Fatal("webhook fetches did not finish:", err)
	}
}

func TestWebhookChecks(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	sec := secretOf(org)
	ctx := context.Background()
	valid := map[string]any{"notification_id": 1, "organizer": testOrg, "event": "conf", "code": "ABCDE", "action": "pretix.event.order.placed"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		secret string
		body   string
		kind   apperr.Kind
		code   string
		field  string
	}{
		{"unknown secret", otherSecret(sec), "", apperr.KindNotFound, "pretix_webhook_unknown", ""},
		{"short secret", "abc", "", apperr.KindNotFound, "pretix_webhook_unknown", ""},
		{"not JSON", sec, "notification_id=1", apperr.KindInvalid, "pretix_webhook_malformed", ""},
		{"JSON array", sec, "[1,2]", apperr.KindInvalid, "pretix_webhook_malformed", ""},
		{"no notification id", sec, jsonStr(with("notification_id", nil)), apperr.KindInvalid, "pretix_webhook_incomplete", "notification_id"},
		{"no code for an order action", sec, jsonStr(with("code", nil)), apperr.KindInvalid, "pretix_webhook_incomplete", "code"},
		{"no action", sec, jsonStr(with("action", nil)), apperr.KindInvalid, "pretix_webhook_incomplete", "action"},
		{"text notification id", sec, jsonStr(with("notification_id", "one")), apperr.KindInvalid, "pretix_webhook_malformed", ""},
		{"too large", sec, `{"notification_id": 1, "x": "` + strings.Repeat("a", MaxWebhookBody) + `"}`, apperr.KindInvalid, "pretix_webhook_too_large", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: tc.secret, Body: strings.NewReader(tc.body)})
			ae, ok := apperr.As(err)
			if !ok || ae.Kind != tc.kind || ae.Code != tc.code {
				t.Fatalf("err = %v, want %s %s", err, tc.kind, tc.code)
			}
			if tc.field != "" && ae.Fields[tc.field] == "" {
				t.Fatalf("no field message for %s: %+v", tc.field, ae.Fields)
			}
		})
	}
	if n := h.count(t, "pretix_webhook_seen"); n != 0 {
		t.Fatalf("rejected notifications were remembered: %d", n)
	}

	t.Run("unknown event is accepted and ignored", func(t *testing.T) {
		r, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: sec, Body: body(with("event", "nosuch"))})
		if err != nil || r.Status != WebhookIgnored || r.Reason != "unknown event" {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("duplicate notification id", func(t *testing.T) {
		first, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: sec, Body: body(with("notification_id", 77))})
		if err != nil || first.Status != WebhookQueued {
			t.Fatalf("%+v %v", first, err)
		}
		again, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: sec, Body: body(with("notification_id", 77))})
		if err != nil || again.Status != WebhookDuplicate || again.NotificationID != 77 {
			t.Fatalf("%+v %v", again, err)
		}
	})
	t.Run("catalogue change marks the event stale", func(t *testing.T) {
		r, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: sec, Body: body(map[string]any{
			"notification_id": 90, "organizer": testOrg, "event": "conf", "action": "pretix.event.item.changed", "item": 5})})
		if err != nil || r.Status != WebhookNoted {
			t.Fatalf("%+v %v", r, err)
		}
		var ev models.PretixEvent
		h.db.Where("slug = ?", "conf").First(&ev)
		if ev.RefreshedAt != nil {
			t.Fatal("catalogue not marked stale")
		}
	})
	waitFetches(t, h.svc)
}

func jsonStr(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestWebhookBasicAuth(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{})
	ctx := context.Background()
	org, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL, Token: testToken, WebhookUser: "pretix", WebhookPassword: "s3cret-s3cret-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	payload := func(n int) *strings.Reader {
		return body(map[string]any{"notification_id": n, "organizer": testOrg, "event": "conf", "code": "ABCDE", "action": "pretix.event.order.paid"})
	}
	tests := []struct {
		name       string
		user, pass string
		has        bool
		ok         bool
	}{
		{"no credentials", "", "", false, false},
		{"wrong password", "pretix", "nope-nope-nope", true, false},
		{"wrong user", "other", "s3cret-s3cret-s3cret", true, false},
		{"right", "pretix", "s3cret-s3cret-s3cret", true, true},
		{"right again (cached)", "pretix", "s3cret-s3cret-s3cret", true, true},
		{"wrong after a right one", "pretix", "s3cret-s3cret-s3cre", true, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: secretOf(org), Body: payload(i + 1), User: tc.user, Password: tc.pass, HasBasicAuth: tc.has})
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && apperr.KindOf(err) != apperr.KindUnauthorized {
				t.Fatalf("err = %v, want unauthorized", err)
			}
		})
	}
	waitFetches(t, h.svc)
}

// TestWebhookEndToEnd lets the emulator's webhook sender call a real HTTP
// endpoint that uses Handle, and checks the order arrives via the API.
func TestWebhookEndToEnd(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	var lastStatus atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sec, ok := strings.CutPrefix(r.URL.Path, WebhookPathPrefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		res, err := h.svc.Webhooks().Handle(r.Context(), WebhookRequestFrom(sec, r))
		if err != nil {
			lastStatus.Store(400)
			w.WriteHeader(400)
			return
		}
		lastStatus.Store(200)
		json.NewEncoder(w).Encode(res)
	}))
	defer receiver.Close()
	if _, err := e.Fake.AddWebhook(testOrg, pretixfake.Webhook{TargetURL: receiver.URL + org.WebhookPath, AllEvents: true}); err != nil {
		t.Fatal(err)
	}
	h.rec.reset()
	rnd := rand.New(rand.NewSource(21))
	var placed pretixfake.Order
	for {
		o, err := e.Fake.PlaceRandomOrder(testOrg, "conf", rnd)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Testmode && o.Status == pretixfake.StatusPending {
			placed = o
			break
		}
	}
	waitHooks(t, e.Fake)
	waitFetches(t, h.svc)
	var stored models.PretixOrder
	if err := h.db.Where("code = ?", placed.Code).First(&stored).Error; err != nil {
		t.Fatalf("webhook did not bring the order: %v (last answer %d)", err, lastStatus.Load())
	}
	c := h.rec.byCode()[placed.Code]
	if c.Source != SourceWebhook || !c.Kinds.Has(ChangeNew) {
		t.Fatalf("change %+v", c)
	}
	// Paying fires two notifications (payment.confirmed and paid); both are
	// answered, the order ends paid.
	if _, err := e.Fake.MarkPaid(testOrg, "conf", placed.Code); err != nil {
		t.Fatal(err)
	}
	waitHooks(t, e.Fake)
	waitFetches(t, h.svc)
	h.db.Where("code = ?", placed.Code).First(&stored)
	if stored.Status != "p" {
		t.Fatalf("status %s after paid webhook", stored.Status)
	}
	for _, d := range e.Fake.WebhookDeliveries() {
		if d.StatusCode != 200 {
			t.Fatalf("delivery answered %d: %+v", d.StatusCode, d)
		}
	}
	// A payload is only a trigger: a lie about the action changes nothing.
	before := stored.RawHash
	r, err := h.svc.Webhooks().Handle(context.Background(), WebhookRequest{Secret: secretOf(org), Body: body(map[string]any{
		"notification_id": 5000, "organizer": testOrg, "event": "conf", "code": placed.Code, "action": "pretix.event.order.canceled"})})
	if err != nil || r.Status != WebhookQueued {
		t.Fatal(r, err)
	}
	waitFetches(t, h.svc)
	h.db.Where("code = ?", placed.Code).First(&stored)
	if stored.Status != "p" || stored.RawHash != before {
		t.Fatal("the webhook payload was trusted")
	}
}

func waitHooks(t *testing.T, f *pretixfake.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookIDsExpire(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{Clock: fc, SeenTTL: 24 * time.Hour})
	ctx := context.Background()
	org, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	send := func(n int) WebhookResult {
		r, err := h.svc.Webhooks().Handle(ctx, WebhookRequest{Secret: secretOf(org), Body: body(map[string]any{
			"notification_id": n, "organizer": testOrg, "event": "nosuch", "code": "X", "action": "pretix.event.order.placed"})})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	send(1)
	if send(1).Status != WebhookDuplicate {
		t.Fatal("not a duplicate")
	}
	fc.Advance(25 * time.Hour)
	send(2) // sweeps ids older than the TTL
	if r := send(1); r.Status == WebhookDuplicate {
		t.Fatal("an expired id is still remembered")
	}
	if n := h.count(t, "pretix_webhook_seen"); n != 2 {
		t.Fatalf("%d ids remembered, want 2", n)
	}
}

// otherSecret returns a secret of the same shape that differs from sec in
// its first character (a fixed replacement would match 1 in 64 random
// secrets).
func otherSecret(sec string) string {
	if sec[0] == 'x' {
		return "y" + sec[1:]
	}
	return "x" + sec[1:]
}
