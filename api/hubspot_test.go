package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

const (
	hsTestHub = 24681357 // the emulator's first default portal (Europe/Berlin)
	hsEvent   = "/api/organizers/democon/events/conf2026"
	hsPage    = "/organizers/democon/events/conf2026/settings/hubspot"
)

// hsSeedEvent inserts the organizer "democon" (once) and an event.
func hsSeedEvent(t *testing.T, e *testEnv, slug string) int64 {
	t.Helper()
	now := time.Now().UTC()
	if err := e.db.Exec(`INSERT OR IGNORE INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at)
		VALUES (1, 'https://pretix.example', 'democon', 'h1', ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	ev := models.PretixEvent{OrganizerID: 1, Slug: slug, NameJSON: `{"en":"Conference"}`, CreatedAt: now, UpdatedAt: now}
	if err := e.db.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// hsSetup signs in, seeds conf2026 and saves the emulator's app credentials.
func hsSetup(t *testing.T) (*testEnv, int64) {
	t.Helper()
	e := newTestEnv(t)
	e.signUp()
	ev := hsSeedEvent(t, e, "conf2026")
	r := e.do("PUT", "/api/settings/hubspot-app", map[string]string{"client_id": e.hsFake.ClientID(), "client_secret": e.hsFake.ClientSecret()}, nil)
	if r.Status != 200 {
		t.Fatalf("app settings: %d %s", r.Status, r.Body)
	}
	return e, ev
}

// hsAuthorize clicks Request access and returns the authorize URL.
func (e *testEnv) hsAuthorize() string {
	e.t.Helper()
	r := e.do("POST", hsEvent+"/hubspot/connect", nil, nil)
	if r.Status != 200 {
		e.t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	u := r.json(e.t)["data"].(map[string]any)["authorize_url"].(string)
	if !strings.HasPrefix(u, e.hsURL+"/oauth/authorize?") || !strings.Contains(u, url.QueryEscape(e.srv.URL+"/oauth/hubspot/callback")) {
		e.t.Fatalf("authorize URL %s", u)
	}
	return u
}

// hsCallback follows HubSpot's redirect back into the app (with this
// browser's cookies) and returns where the app sends the browser next.
func (e *testEnv) hsCallback(redirect *url.URL) *url.URL {
	e.t.Helper()
	if !strings.HasPrefix(redirect.String(), e.srv.URL+"/oauth/hubspot/callback?") {
		e.t.Fatalf("HubSpot redirected to %s", redirect)
	}
	c := *e.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(redirect.String())
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("callback answered %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

// hsConnect runs Request access through consent to the callback.
func (e *testEnv) hsConnect() {
	e.t.Helper()
	redirect, err := hubspotfake.Approve(context.Background(), nil, e.hsAuthorize(), hsTestHub)
	if err != nil {
		e.t.Fatal(err)
	}
	if loc := e.hsCallback(redirect); loc.String() != hsPage+"?connected=1" {
		e.t.Fatalf("after consent the app sends the browser to %s", loc)
	}
}

func (e *testEnv) hsStatus() map[string]any {
	e.t.Helper()
	r := e.do("GET", hsEvent+"/hubspot", nil, nil)
	if r.Status != 200 {
		e.t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	assertNoTokens(e.t, string(r.Body))
	return r.json(e.t)["data"].(map[string]any)
}

func assertNoTokens(t *testing.T, body string) {
	t.Helper()
	for _, leak := range []string{"fake-at-", "fake-client-secret", "pat-", "token_sealed", "v1:"} {
		if strings.Contains(body, leak) {
			t.Fatalf("response leaks %q: %s", leak, body)
		}
	}
}

func TestHubSpotConnectRoundTrip(t *testing.T) {
	e, ev := hsSetup(t)
	if st := e.hsStatus(); st["state"] != "not_connected" || st["connection"] != nil || st["app_configured"] != true {
		t.Fatalf("before: %v", st)
	}
	e.hsConnect()
	st := e.hsStatus()
	conn, _ := st["connection"].(map[string]any)
	if st["state"] != "active" || conn == nil || conn["hub_id"] != float64(hsTestHub) || conn["kind"] != "oauth" ||
		conn["ui_domain"] != "app-eu1.hubspot.com" || conn["expires_at"] == nil {
		t.Fatalf("after: %v", st)
	}
	if scopes, _ := conn["scopes"].([]any); len(scopes) != len(hubspot.RequiredScopes)+len(hubspot.OptionalScopes) {
		t.Errorf("granted scopes = %v", conn["scopes"])
	}
	if miss, _ := st["missing_optional_scopes"].([]any); len(miss) != 0 {
		t.Errorf("missing optional = %v", miss)
	}
	// The event is linked and activated: orders from now on are queued.
	var ep models.EventProvider
	if err := e.db.Where("event_id = ? AND provider = 'hubspot'", ev).Take(&ep).Error; err != nil || ep.ActivatedAt == nil {
		t.Errorf("activation: %+v %v", ep, err)
	}
	if _, _, err := e.hubspot.ClientForEvent(context.Background(), ev); err != nil {
		t.Errorf("ClientForEvent: %v", err)
	}
}

func TestHubSpotCallbackFailures(t *testing.T) {
	tests := []struct {
		name string
		// run walks to the callback and returns where the app redirects.
		run      func(t *testing.T, e *testEnv) *url.URL
		wantCode string
	}{
		{name: "user denies", wantCode: "hubspot_access_denied", run: func(t *testing.T, e *testEnv) *url.URL {
			redirect, err := hubspotfake.Deny(context.Background(), nil, e.hsAuthorize(), hsTestHub)
			if err != nil {
				t.Fatal(err)
			}
			if redirect.Query().Get("error") != "access_denied" {
				t.Fatalf("redirect %s", redirect)
			}
			return e.hsCallback(redirect)
		}},
		{name: "reused code", wantCode: "hubspot_oauth_state_reused", run: func(t *testing.T, e *testEnv) *url.URL {
			redirect, err := hubspotfake.Approve(context.Background(), nil, e.hsAuthorize(), hsTestHub)
			if err != nil {
				t.Fatal(err)
			}
			if loc := e.hsCallback(redirect); loc.Query().Get("connected") != "1" {
				t.Fatalf("first use: %s", loc)
			}
			return e.hsCallback(redirect)
		}},
		{name: "expired state", wantCode: "hubspot_oauth_state_expired", run: func(t *testing.T, e *testEnv) *url.URL {
			redirect, err := hubspotfake.Approve(context.Background(), nil, e.hsAuthorize(), hsTestHub)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(hubspot.StateTTL + time.Second)
			return e.hsCallback(redirect)
		}},
		{name: "state of another session", wantCode: "hubspot_oauth_state_mismatch", run: func(t *testing.T, e *testEnv) *url.URL {
			redirect, err := hubspotfake.Approve(context.Background(), nil, e.hsAuthorize(), hsTestHub)
			if err != nil {
				t.Fatal(err)
			}
			// Same browser, new login: the state belonged to the old session.
			if r := e.do("POST", "/api/logout", nil, nil); r.Status != 204 {
				t.Fatalf("logout %d", r.Status)
			}
			e.refreshCSRF()
			if r := e.do("POST", "/api/login", map[string]string{"username": "admin", "password": "correct horse battery"}, nil); r.Status != 200 {
				t.Fatalf("login %d %s", r.Status, r.Body)
			}
			return e.hsCallback(redirect)
		}},
		{name: "forged state", wantCode: "hubspot_oauth_state_mismatch", run: func(t *testing.T, e *testEnv) *url.URL {
			e.hsAuthorize() // sets the return cookie
			u, _ := url.Parse(e.srv.URL + "/oauth/hubspot/callback?code=abc&state=forged")
			return e.hsCallback(u)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ev := hsSetup(t)
			loc := tt.run(t, e)
			if loc.Path != hsPage || loc.Query().Get("error") != tt.wantCode || loc.Query().Get("connected") != "" {
				t.Fatalf("redirected to %s, want %s?error=%s", loc, hsPage, tt.wantCode)
			}
			if tt.name != "reused code" {
				if st := e.hsStatus(); st["state"] != "not_connected" {
					t.Errorf("state after failure = %v", st["state"])
				}
				if _, ok, _ := e.hubspot.EventHub(context.Background(), ev); ok {
					t.Error("event linked after a failed callback")
				}
			}
		})
	}
}

func TestHubSpotCallbackWithoutReturnCookieGoesToSettings(t *testing.T) {
	e, _ := hsSetup(t)
	u, _ := url.Parse(e.srv.URL + "/oauth/hubspot/callback?error=access_denied&state=nothing")
	if loc := e.hsCallback(u); loc.String() != "/settings?error=hubspot_oauth_state_mismatch" {
		t.Fatalf("redirected to %s", loc)
	}
}

func TestHubSpotConnectNeedsAppCredentials(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	hsSeedEvent(t, e, "conf2026")
	if st := e.hsStatus(); st["app_configured"] != false {
		t.Errorf("app_configured = %v", st["app_configured"])
	}
	r := e.do("POST", hsEvent+"/hubspot/connect", nil, nil)
	if r.Status != 400 || !strings.Contains(string(r.Body), "hubspot_app_not_configured") {
		t.Fatalf("connect without app: %d %s", r.Status, r.Body)
	}
}

func TestHubSpotStaticToken(t *testing.T) {
	full := append(append([]string{}, hubspot.RequiredScopes[1:]...), hubspot.OptionalScopes...)
	tests := []struct {
		name      string
		token     string
		hubID     string
		wantField string // "" = success
	}{
		{name: "token that may read the account", token: "pat-eu1-with-account-0001"},
		{name: "token that may not read the account, with account id", token: "pat-eu1-good-0001", hubID: " 24681357 "},
		{name: "token that may not read the account, without account id", token: "pat-eu1-good-0001", wantField: "hub_id"},
		{name: "unknown token", token: "pat-eu1-nope", wantField: "token"},
		{name: "empty token", token: "  ", wantField: "token"},
		{name: "token lacking scopes", token: "pat-eu1-contacts-only", hubID: "24681357", wantField: "token"},
		{name: "account id of another portal", token: "pat-eu1-good-0001", hubID: "13579246", wantField: "hub_id"},
		{name: "account id not a number", token: "pat-eu1-good-0001", hubID: "24 681", wantField: "hub_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := hsSetup(t)
			e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: "pat-eu1-good-0001", HubID: hsTestHub, Scopes: full})
			e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: "pat-eu1-with-account-0001", HubID: hsTestHub, Scopes: append([]string{"oauth"}, full...)})
			e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: "pat-eu1-contacts-only", HubID: hsTestHub,
				Scopes: []string{"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.read"}})
			r := e.do("POST", hsEvent+"/hubspot/token", map[string]string{"token": tt.token, "hub_id": tt.hubID}, nil)
			assertNoTokens(t, string(r.Body))
			if tt.wantField != "" {
				body := r.json(t)
				fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
				if r.Status != 400 || fields[tt.wantField] == nil {
					t.Fatalf("want field error on %s, got %d %s", tt.wantField, r.Status, r.Body)
				}
				if st := e.hsStatus(); st["state"] != "not_connected" {
					t.Errorf("stored despite the error: %v", st["state"])
				}
				return
			}
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			conn := r.json(t)["data"].(map[string]any)["connection"].(map[string]any)
			if conn["kind"] != "static" || conn["hub_id"] != float64(hsTestHub) || conn["expires_at"] != nil {
				t.Errorf("connection = %v", conn)
			}
		})
	}
}

func TestHubSpotDisconnect(t *testing.T) {
	e, ev := hsSetup(t)
	hsSeedEvent(t, e, "workshops")
	e.hsConnect()
	// A second event on the same portal.
	if err := e.hubspot.LinkEvent(context.Background(), ev+1, hsTestHub); err != nil {
		t.Fatal(err)
	}
	if st := e.hsStatus(); st["shared_with"] != float64(1) {
		t.Errorf("shared_with = %v", st["shared_with"])
	}
	revokes := e.hsFake.Stats().Requests["POST /oauth/{version}/token/revoke"]
	r := e.do("DELETE", hsEvent+"/hubspot/connection", nil, nil)
	if r.Status != 200 || r.json(t)["data"].(map[string]any)["state"] != "disconnected" {
		t.Fatalf("disconnect: %d %s", r.Status, r.Body)
	}
	if n := e.hsFake.Stats().Requests["POST /oauth/{version}/token/revoke"]; n != revokes+1 {
		t.Errorf("revoke calls %d → %d", revokes, n)
	}
	// Both events wait now; links stay so that reconnecting resumes them.
	for _, id := range []int64{ev, ev + 1} {
		if _, _, err := e.hubspot.ClientForEvent(context.Background(), id); err == nil || hubspot.ClassOf(err) != hubspot.ClassConfig {
			t.Errorf("event %d after disconnect: %v", id, err)
		}
	}
	r = e.do("DELETE", hsEvent+"/hubspot/connection", nil, nil)
	if r.Status != 404 {
		t.Errorf("second disconnect: %d %s", r.Status, r.Body)
	}
	// Request access again brings the portal back.
	e.hsConnect()
	if st := e.hsStatus(); st["state"] != "active" {
		t.Errorf("after reconnect: %v", st["state"])
	}
}

func TestHubSpotNeedsReconnectInStatus(t *testing.T) {
	e, _ := hsSetup(t)
	e.hsConnect()
	e.hsFake.UninstallApp(hsTestHub)
	e.clock.Advance(31 * time.Minute)
	if err := e.hubspot.RefreshExpiring(context.Background(), 10*time.Minute); err == nil {
		t.Fatal("refresh of an uninstalled app succeeded")
	}
	st := e.hsStatus()
	conn, _ := st["connection"].(map[string]any)
	if st["state"] != "needs_reconnect" || conn == nil || conn["state_reason"] == "" {
		t.Fatalf("status = %v", st)
	}
	// Reconnecting through Request access heals it.
	e.hsFake.AddPortal(hubspotfake.DefaultPortals()[0])
	e.hsConnect()
	if st := e.hsStatus(); st["state"] != "active" {
		t.Errorf("after reconnect: %v", st["state"])
	}
}

func TestHubSpotRoutesNeedSessionAndCSRF(t *testing.T) {
	e, _ := hsSetup(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", hsEvent + "/hubspot"}, {"POST", hsEvent + "/hubspot/connect"}, {"POST", hsEvent + "/hubspot/token"},
		{"DELETE", hsEvent + "/hubspot/connection"}, {"GET", hsEvent + "/plugins"}, {"PUT", hsEvent + "/plugins/hubspot"},
		{"GET", "/api/settings/hubspot-app"}, {"PUT", "/api/settings/hubspot-app"},
	} {
		if tc.method != "GET" {
			if r := e.do(tc.method, tc.path, map[string]any{}, map[string]string{"X-CSRF-Token": "wrong"}); r.Status != 403 {
				t.Errorf("%s %s with a wrong CSRF token: %d", tc.method, tc.path, r.Status)
			}
		}
	}
	if r := e.do("POST", "/api/logout", nil, nil); r.Status != 204 {
		t.Fatal(r.Status)
	}
	for _, p := range []string{hsEvent + "/hubspot", hsEvent + "/plugins", "/api/settings/hubspot-app"} {
		if r := e.do("GET", p, nil, nil); r.Status != 401 {
			t.Errorf("GET %s signed out: %d", p, r.Status)
		}
	}
}

// TestHubSpotCallbackRefusesForeignReturnCookie: a return cookie that a
// browser would read as another site falls back to a local page.
func TestHubSpotCallbackRefusesForeignReturnCookie(t *testing.T) {
	for _, v := range []string{"/%09/evil.example", "/%0a/evil.example", "/%5cevil.example", "//evil.example", "https://evil.example/",
		"/\t/evil.example", "/%7f/evil.example"} {
		t.Run(url.PathEscape(v), func(t *testing.T) {
			e, _ := hsSetup(t)
			e.client.Jar.SetCookies(mustURL(e.srv.URL+"/oauth/hubspot/callback"), []*http.Cookie{{Name: returnCookie, Value: url.QueryEscape(mustUnescape(t, v)), Path: "/oauth/hubspot/callback"}})
			u, _ := url.Parse(e.srv.URL + "/oauth/hubspot/callback?error=access_denied&state=nothing")
			loc := e.hsCallback(u)
			if loc.String() != "/settings?error=hubspot_oauth_state_mismatch" {
				t.Fatalf("redirected to %q", loc.String())
			}
		})
	}
}

func mustUnescape(t *testing.T, s string) string {
	v, err := url.PathUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLocalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/events/democon/conf2026/settings/hubspot": true, "/": true, "/a/b-c_d.e~f%20": true,
		"": false, "x": false, "//evil": false, "/\\evil": false, "/\t/evil": false, "/a\nb": false, "/a?b": false,
		"/a#b": false, "http://evil/": false, "/\x7f": false, "/\u200b": true, "/\u0085x": false,
	} {
		if got := localPath(p); got != want {
			t.Errorf("localPath(%q) = %v, want %v", p, got, want)
		}
	}
}
