package api

import (
	"context"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPretixWebhook(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 5, 12)
	org := e.pxConnect()
	hook := org["webhook_url"].(string)
	placed, err := e.pxFake.PlaceRandomOrder(pxOrganizer, "conf2026", rand.New(rand.NewSource(5)))
	if err != nil {
		t.Fatal(err)
	}
	payload := func(nid int, event, code, action string) string {
		return `{"notification_id": ` + strconv.Itoa(nid) + `, "organizer": "democon", "event": "` + event + `", "code": "` + code + `", "action": "` + action + `"}`
	}
	// pretix has no session and sends no CSRF token: a bare client.
	post := func(url, body string, basic []string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if basic != nil {
			req.SetBasicAuth(basic[0], basic[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}

	steps := []struct {
		name       string
		url        string
		body       string
		basic      []string
		wantStatus int
		wantIn     string
	}{
		{"an order placed is queued", hook, payload(1001, "conf2026", placed.Code, "pretix.event.order.placed"), nil, 200, `"status":"queued"`},
		{"the same notification again is a duplicate", hook, payload(1001, "conf2026", placed.Code, "pretix.event.order.placed"), nil, 200, `"status":"duplicate"`},
		{"an unknown event is ignored with 2xx", hook, payload(1002, "other-event", "ABCDE", "pretix.event.order.paid"), nil, 200, `"status":"ignored"`},
		{"a wrong secret is gone, so pretix disables that webhook", e.srv.URL + "/webhooks/pretix/not-the-secret-0123456789", payload(1003, "conf2026", placed.Code, "pretix.event.order.paid"), nil, 410, "pretix_webhook_unknown"},
		{"malformed JSON", hook, `{"notification_id": 1004, "organizer": `, nil, 400, "pretix_webhook_malformed"},
		{"missing fields", hook, `{"notification_id": 1005, "organizer": "democon", "action": "pretix.event.order.paid"}`, nil, 400, `"code":"Missing."`},
		{"another organizer's notification", hook, strings.Replace(payload(1006, "conf2026", placed.Code, "pretix.event.order.paid"), `"democon"`, `"acme"`, 1), nil, 200, `"status":"ignored"`},
	}
	for _, s := range steps {
		status, body, _ := post(s.url, s.body, s.basic)
		if status != s.wantStatus || !strings.Contains(body, s.wantIn) {
			t.Errorf("%s: %d %s, want %d with %s", s.name, status, body, s.wantStatus, s.wantIn)
		}
	}

	// The payload was only a trigger: the order is fetched from pretix.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.pretix.WaitWebhookFetches(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/organizers/democon/events/conf2026/orders/"+placed.Code, nil, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"code":"`+placed.Code+`"`) {
		t.Fatalf("the order named by the webhook was not fetched: %d %s", r.Status, r.Body)
	}

	// With Basic auth switched on, the credentials are required.
	if r := e.do("PUT", "/api/organizers/democon", map[string]any{"webhook_user": "pretix", "webhook_password": "a-long-random-password"}, nil); r.Status != 200 {
		t.Fatalf("switch on Basic auth: %d %s", r.Status, r.Body)
	}
	status, body, hdr := post(hook, payload(2001, "conf2026", placed.Code, "pretix.event.order.paid"), nil)
	if status != 401 || !strings.Contains(body, "pretix_webhook_auth") || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("without credentials: %d %s %v", status, body, hdr)
	}
	if status, body, _ := post(hook, payload(2002, "conf2026", placed.Code, "pretix.event.order.paid"), []string{"pretix", "wrong-password-123"}); status != 401 {
		t.Errorf("wrong password: %d %s", status, body)
	}
	if status, body, _ := post(hook, payload(2003, "conf2026", placed.Code, "pretix.event.order.paid"), []string{"pretix", "a-long-random-password"}); status != 200 || !strings.Contains(body, "queued") {
		t.Errorf("right credentials: %d %s", status, body)
	}
	if err := e.pretix.WaitWebhookFetches(ctx); err != nil {
		t.Fatal(err)
	}
}
