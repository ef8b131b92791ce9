package api

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// pxConnect connects the emulator's organizer through the API and waits for
// its first pull; it returns the organizer JSON.
func (e *testEnv) pxConnect() map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/organizers", map[string]string{"base_url": e.pxURL, "token": pxToken}, nil)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	org := r.json(e.t)["data"].(map[string]any)
	if _, err := e.pretix.PullOrganizer(context.Background(), int64(org["id"].(float64))); err != nil {
		e.t.Fatalf("first pull: %v", err)
	}
	return org
}

// pxGenerate adds n random orders to an event of the emulator.
func (e *testEnv) pxGenerate(event string, n int, seed int64) {
	e.t.Helper()
	if _, err := e.pxFake.GenerateOrders(pxOrganizer, event, n, rand.New(rand.NewSource(seed))); err != nil {
		e.t.Fatal(err)
	}
}

// pxLiveOrders counts the emulator's non-test-mode orders of an event (the
// ones a pull stores).
func (e *testEnv) pxLiveOrders(event string) []pretixfake.Order {
	var out []pretixfake.Order
	for _, ref := range e.pxFake.Orders(pxOrganizer) {
		if ref.Event != event {
			continue
		}
		if o, ok := e.pxFake.Order(pxOrganizer, ref.Event, ref.Code); ok && !o.Testmode {
			out = append(out, o)
		}
	}
	return out
}

// field digs into decoded JSON by keys and indexes ("data", "events", 0, "slug").
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestOrganizerConnection(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 30, 3)
	// A second pretix installation that also has an organizer "democon".
	other := pretixfake.New(pretixfake.Options{NoRateLimit: true})
	t.Cleanup(other.Close)
	other.AddOrganizer(pxOrganizer, "Another DemoCon")
	if err := other.AddToken(pxOrganizer, "other-token-77", pretixfake.Team{AllEvents: true, CanViewOrders: true}); err != nil {
		t.Fatal(err)
	}
	otherSrv := httptest.NewServer(other.Handler())
	t.Cleanup(otherSrv.Close)
	if err := e.pxFake.AddToken(pxOrganizer, "no-orders-token-1", pretixfake.Team{AllEvents: true, CanChangeEventSettings: true}); err != nil {
		t.Fatal(err)
	}
	notPretix := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Welcome to my blog</body></html>"))
	}))
	t.Cleanup(notPretix.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	var bodies []string // every response, to check the token never leaves
	type step struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantCode   string            // error code
		wantFields map[string]string // field → substring of its message
		wantIn     []string          // substrings of the body
		check      func(t *testing.T, data any)
	}
	steps := []step{
		{name: "no organizers yet", method: "GET", path: "/api/organizers", wantStatus: 200, wantIn: []string{`"data":[]`}},
		{name: "test: wrong token", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": e.pxURL, "token": "wrong"},
			wantStatus: 400, wantCode: "pretix_token_invalid", wantFields: map[string]string{"token": "pretix does not accept this token."}},
		{name: "connect: wrong token saves nothing", method: "POST", path: "/api/organizers", body: map[string]string{"base_url": e.pxURL, "token": "wrong"},
			wantStatus: 400, wantCode: "pretix_token_invalid", wantFields: map[string]string{"token": "does not accept"}},
		{name: "connect: missing token", method: "POST", path: "/api/organizers", body: map[string]string{"base_url": e.pxURL},
			wantStatus: 400, wantCode: "pretix_token_missing", wantFields: map[string]string{"token": "Enter the API token."}},
		{name: "test: not https", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": "http://pretix.example.org", "token": pxToken},
			wantStatus: 400, wantCode: "pretix_url_insecure", wantFields: map[string]string{"base_url": "https://"}},
		{name: "test: unreachable", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": closedURL, "token": pxToken},
			wantStatus: 502, wantCode: "pretix_unreachable", wantFields: map[string]string{"base_url": "refused"}},
		{name: "test: not a pretix server", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": notPretix.URL, "token": pxToken},
			wantStatus: 400, wantCode: "pretix_not_pretix", wantFields: map[string]string{"base_url": "pretix server"}},
		{name: "test: missing Can view orders", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": e.pxURL, "token": "no-orders-token-1"},
			wantStatus: 400, wantCode: "pretix_permission_missing", wantFields: map[string]string{"token": "Can view orders"}},
		{name: "test: unknown organizer", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": e.pxURL, "token": pxToken, "slug": "nobody"},
			wantStatus: 400, wantCode: "pretix_organizer_unknown", wantFields: map[string]string{"slug": "Unknown organizer"}},
		{name: "test: good token shows organizer and events", method: "POST", path: "/api/organizers/test", body: map[string]string{"base_url": e.pxURL, "token": pxToken},
			wantStatus: 200, wantIn: []string{`"name":"DemoCon Events"`, `"slug":"conf2026"`, `"slug":"workshops"`, `"can_view_orders":true`},
			check: func(t *testing.T, data any) {
				var n int64
				e.db.Model(&models.PretixOrganizer{}).Count(&n)
				if n != 0 {
					t.Errorf("test connection stored %d organizers", n)
				}
			}},
		{name: "connect", method: "POST", path: "/api/organizers", body: map[string]string{"base_url": e.pxURL, "token": pxToken},
			wantStatus: 201, wantIn: []string{`"slug":"democon"`, `"name":"DemoCon Events"`, `"token_set":true`, `"pretix.event.order.placed"`},
			check: func(t *testing.T, data any) {
				if u, _ := field(data, "webhook_url").(string); !strings.HasPrefix(u, e.srv.URL+"/webhooks/pretix/") || len(u) < len(e.srv.URL)+40 {
					t.Errorf("webhook_url %q", u)
				}
				if _, err := e.pretix.PullOrganizer(context.Background(), int64(field(data, "id").(float64))); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "connect again: already connected", method: "POST", path: "/api/organizers", body: map[string]string{"base_url": e.pxURL, "token": pxToken},
			wantStatus: 409, wantCode: "pretix_organizer_exists", wantFields: map[string]string{"slug": "Already connected."}},
		{name: "same slug from another installation is refused", method: "POST", path: "/api/organizers", body: map[string]string{"base_url": otherSrv.URL, "token": "other-token-77"},
			wantStatus: 409, wantCode: "pretix_organizer_slug_taken", wantFields: map[string]string{"slug": "another pretix installation"}},
		{name: "list after the pull", method: "GET", path: "/api/organizers", wantStatus: 200,
			check: func(t *testing.T, data any) {
				if field(data, 0, "events") != 2.0 || field(data, 0, "orders") != float64(len(e.pxLiveOrders("conf2026"))) {
					t.Errorf("events %v orders %v", field(data, 0, "events"), field(data, 0, "orders"))
				}
				if field(data, 0, "pull", "state") != "ok" || field(data, 0, "pull", "running") != false {
					t.Errorf("pull %v", field(data, 0, "pull"))
				}
			}},
		{name: "events listed with order counts and plugin state", method: "GET", path: "/api/organizers/democon/events", wantStatus: 200,
			check: func(t *testing.T, data any) {
				byslug := map[string]any{}
				for _, ev := range data.([]any) {
					byslug[field(ev, "slug").(string)] = ev
				}
				conf := byslug["conf2026"]
				if field(conf, "name", "en") != "DemoCon 2026" || field(conf, "orders") != float64(len(e.pxLiveOrders("conf2026"))) {
					t.Errorf("conf2026 %v", conf)
				}
				if field(conf, "plugins", "hubspot", "enabled") != false || field(byslug["workshops"], "has_subevents") != true {
					t.Errorf("plugins or sub-events wrong: %v", data)
				}
			}},
		{name: "the event frame's event", method: "GET", path: "/api/organizers/democon/events/conf2026", wantStatus: 200,
			wantIn: []string{`"plugins":{"hubspot":{"enabled":false,"activated_at":null}}`, `"currency":"EUR"`, `"organizer":{"slug":"democon","name":"DemoCon Events"}`},
			check: func(t *testing.T, data any) {
				if field(data, "timezone") == "" || field(data, "date_from") == nil {
					t.Errorf("event %v", data)
				}
			}},
		{name: "unknown event", method: "GET", path: "/api/organizers/democon/events/nope", wantStatus: 404, wantCode: "event_not_found"},
		{name: "unknown organizer", method: "GET", path: "/api/organizers/nobody", wantStatus: 404, wantCode: "organizer_not_found"},
		{name: "event stats", method: "GET", path: "/api/organizers/democon/events/conf2026/stats", wantStatus: 200,
			check: func(t *testing.T, data any) {
				want := map[string]float64{}
				for _, o := range e.pxLiveOrders("conf2026") {
					want[o.Status]++
				}
				total := 0.0
				for st, n := range want {
					if field(data, "by_status", st) != n {
						t.Errorf("status %s: %v, want %v", st, field(data, "by_status", st), n)
					}
					total += n
				}
				if field(data, "orders") != total || field(data, "pull", "state") != "ok" {
					t.Errorf("stats %v", data)
				}
			}},
		{name: "test the stored connection (empty token = stored one)", method: "POST", path: "/api/organizers/democon/test", body: map[string]string{},
			wantStatus: 200, wantIn: []string{`"name":"DemoCon Events"`}},
		{name: "update with a wrong token keeps the stored one", method: "PUT", path: "/api/organizers/democon", body: map[string]string{"token": "wrong"},
			wantStatus: 400, wantCode: "pretix_token_invalid", wantFields: map[string]string{"token": "does not accept"}},
		{name: "update without token keeps it; webhook Basic auth on", method: "PUT", path: "/api/organizers/democon",
			body:       map[string]any{"token": "", "webhook_user": "pretix", "webhook_password": "a-long-random-password"},
			wantStatus: 200, wantIn: []string{`"token_set":true`, `"webhook_auth":true`, `"webhook_user":"pretix"`}},
		{name: "a short webhook password is refused", method: "PUT", path: "/api/organizers/democon", body: map[string]any{"webhook_user": "pretix2", "webhook_password": "short"},
			wantStatus: 400, wantFields: map[string]string{"webhook_password": "At least 12"}},
		{name: "pull now answers at once", method: "POST", path: "/api/organizers/democon/pull", wantStatus: 202,
			check: func(t *testing.T, data any) {
				if field(data, "organizer", "slug") != "democon" || field(data, "started") == nil {
					t.Errorf("pull answer %v", data)
				}
				res, err := e.pretix.PullOrganizer(context.Background(), int64(field(data, "organizer", "id").(float64)))
				if err != nil {
					t.Fatalf("pull with the kept token failed: %v %+v", err, res)
				}
			}},
		{name: "status after pull now", method: "GET", path: "/api/organizers/democon", wantStatus: 200, wantIn: []string{`"state":"ok"`, `"running":false`}},
	}
	for _, s := range steps {
		r := e.do(s.method, s.path, s.body, nil)
		bodies = append(bodies, string(r.Body))
		if r.Status != s.wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.wantStatus, r.Body)
		}
		m := r.json(t)
		if s.wantCode != "" && field(m, "error", "code") != s.wantCode {
			t.Errorf("%s: code %v, want %s (%s)", s.name, field(m, "error", "code"), s.wantCode, r.Body)
		}
		for f, want := range s.wantFields {
			if got, _ := field(m, "error", "fields", f).(string); !strings.Contains(got, want) {
				t.Errorf("%s: field %s = %q, want it to contain %q (%s)", s.name, f, got, want, r.Body)
			}
		}
		for _, want := range s.wantIn {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("%s: body lacks %s: %s", s.name, want, r.Body)
			}
		}
		if s.check != nil {
			s.check(t, m["data"])
		}
	}
	for i, b := range bodies {
		if strings.Contains(b, pxToken) || strings.Contains(b, "other-token-77") || strings.Contains(b, "a-long-random-password") {
			t.Errorf("response %d (%s) contains a secret: %s", i, steps[i].name, b)
		}
	}
}

func TestOrganizerDelete(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 25, 4)
	e.pxConnect()
	live := e.pxLiveOrders("conf2026")

	// Without the CSRF token nothing is deleted.
	csrf := e.csrf
	e.csrf = ""
	if r := e.do("DELETE", "/api/organizers/democon", nil, nil); r.Status != http.StatusForbidden {
		t.Fatalf("delete without CSRF: %d %s", r.Status, r.Body)
	}
	e.csrf = csrf

	r := e.do("DELETE", "/api/organizers/democon", nil, nil)
	if r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	var got struct {
		Data struct {
			Events, Orders int
			LogEntries     int `json:"log_entries"`
		}
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	d := got.Data
	if d.Events != 2 || d.Orders != len(live) || d.LogEntries != len(live) {
		t.Errorf("counts %+v, want events 2 orders %d log %d", d, len(live), len(live))
	}
	for _, table := range []string{"pretix_organizers", "pretix_events", "pretix_orders", "order_log"} {
		var n int64
		e.db.Table(table).Count(&n)
		if n != 0 {
			t.Errorf("%s still has %d rows", table, n)
		}
	}
	if r := e.do("GET", "/api/organizers/democon", nil, nil); r.Status != 404 {
		t.Errorf("get after delete: %d", r.Status)
	}
	if r := e.do("DELETE", "/api/organizers/democon", nil, nil); r.Status != 404 {
		t.Errorf("delete twice: %d", r.Status)
	}
}

func TestOrganizerRoutesNeedSession(t *testing.T) {
	e := newTestEnv(t)
	e.refreshCSRF()
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/organizers"},
		{"POST", "/api/organizers"},
		{"POST", "/api/organizers/test"},
		{"GET", "/api/organizers/democon"},
		{"PUT", "/api/organizers/democon"},
		{"DELETE", "/api/organizers/democon"},
		{"POST", "/api/organizers/democon/pull"},
		{"GET", "/api/organizers/democon/events"},
		{"GET", "/api/organizers/democon/events/conf2026"},
		{"GET", "/api/organizers/democon/events/conf2026/stats"},
		{"GET", "/api/organizers/democon/events/conf2026/orders"},
		{"GET", "/api/organizers/democon/events/conf2026/orders/ABC12"},
	} {
		r := e.do(rt.method, rt.path, map[string]string{}, nil)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: %d %s", rt.method, rt.path, r.Status, r.Body)
		}
	}
}

// TestOrganizerWithUnreadableSecrets: secrets sealed under another key (the
// key was replaced) give pages that say what to do, and entering the token
// and making a new webhook address repair the connection.
func TestOrganizerWithUnreadableSecrets(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 3, 1)
	e.pxConnect()
	other, _ := secret.NewBox(bytes.Repeat([]byte{7}, 32)) // not the test key
	tok, _ := other.Seal(pxToken)
	hook, _ := other.Seal("old-webhook-secret")
	if err := e.db.Model(&models.PretixOrganizer{}).Where("slug = ?", pxOrganizer).
		Updates(map[string]any{"token_sealed": tok, "webhook_secret_sealed": hook}).Error; err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, method, path string
		body               any
		status             int
		want               string
	}{
		{"the page still opens", "GET", "/api/organizers/democon", nil, 200, `"webhook_url_lost":true`},
		{"testing the stored token says to enter it again", "POST", "/api/organizers/democon/test", map[string]string{}, 400, "pretix_token_unreadable"},
		{"pulling says so too", "POST", "/api/organizers/democon/pull", nil, 202, ``},
		{"entering the token again works", "PUT", "/api/organizers/democon", map[string]string{"token": pxToken}, 200, `"token_set":true`},
		{"the stored token is readable again", "POST", "/api/organizers/democon/test", map[string]string{}, 200, `"name":"DemoCon Events"`},
		{"a new webhook address can be made", "PUT", "/api/organizers/democon", map[string]any{"rotate_webhook_secret": true}, 200, `"webhook_url_lost":false`},
	}
	for _, s := range steps {
		r := e.do(s.method, s.path, s.body, nil)
		if r.Status != s.status || !strings.Contains(string(r.Body), s.want) {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
	}
}
