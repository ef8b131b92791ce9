package hubspotfake

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func authorizeURL(e *env, state string, extra url.Values) string {
	q := url.Values{"client_id": {e.srv.ClientID()}, "redirect_uri": {"http://localhost:8080/hubspot/callback"},
		"scope": {"oauth crm.objects.contacts.read crm.objects.contacts.write"}, "state": {state}}
	for k, vs := range extra {
		q[k] = vs
	}
	return e.ts.URL + "/oauth/authorize?" + q.Encode()
}

// The consent pages follow the guide: sign in or create an account, choose
// the account, then the unverified-app notice with Connect app.
func TestConsentPagesShowHubSpotTexts(t *testing.T) {
	e := newEnv(t, Options{})
	read := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	steps := []struct {
		name string
		form url.Values // posted to action; nil for the first GET
		path string
		want []string
	}{
		{"start", nil, "", []string{"<title>Connect app | HubSpot</title>", `<span class="logo">`, "Connecting pretix to HubSpot",
			"Sign in to your HubSpot account", "Create a new HubSpot account"}},
		{"accounts", url.Values{"choice": {"sign_in"}}, "/oauth/authorize/start",
			[]string{"Connecting pretix to HubSpot", "Choose an account", "pretix Demo GmbH", "(24681357)", "Example Events Inc.", "Choose Account"}},
		{"notice", url.Values{"portal": {"24681357"}}, "/oauth/authorize/account",
			[]string{"You're connecting to an unverified app", "Connect app", "crm.objects.contacts.write", "pretix Demo GmbH (24681357)"}},
	}
	page := ""
	for _, st := range steps {
		if st.form == nil {
			page = read(e.ts.Client().Get(authorizeURL(e, "s1", nil)))
		} else {
			st.form.Set("request", requestRE.FindStringSubmatch(page)[1])
			page = read(e.ts.Client().PostForm(e.ts.URL+st.path, st.form))
		}
		for _, want := range st.want {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q", st.name, want)
			}
		}
	}

	// Create a new account: a fresh portal, straight to the notice.
	page = read(e.ts.Client().Get(authorizeURL(e, "s2", nil)))
	page = read(e.ts.Client().PostForm(e.ts.URL+"/oauth/authorize/start", url.Values{"request": {requestRE.FindStringSubmatch(page)[1]}, "choice": {"create"}}))
	if !strings.Contains(page, "New HubSpot account") || !strings.Contains(page, "Connect app") {
		t.Errorf("create account: %.400s", page)
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	e := newEnv(t, Options{Portals: []Portal{{ID: hubEU, Name: "EU", UIDomain: "app-eu1.hubspot.com", TimeZone: "Europe/Berlin", UnavailableScopes: []string{"crm.schemas.deals.write"}}}})
	ctx := context.Background()
	redirect, err := Approve(ctx, e.ts.Client(), authorizeURL(e, "st-123", url.Values{"optional_scope": {"crm.schemas.contacts.write crm.schemas.deals.write"}}), hubEU)
	if err != nil {
		t.Fatal(err)
	}
	if redirect.Query().Get("state") != "st-123" || redirect.Query().Get("code") == "" || redirect.Path != "/hubspot/callback" {
		t.Fatalf("redirect = %s", redirect)
	}
	code := redirect.Query().Get("code")
	exchange := url.Values{"grant_type": {"authorization_code"}, "client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()},
		"redirect_uri": {"http://localhost:8080/hubspot/callback"}, "code": {code}}

	status, body := e.form("/oauth/2026-03/token", exchange)
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, body)
	}
	if body["hub_id"].(float64) != hubEU || body["expires_in"].(float64) != 1800 || body["token_type"] != "bearer" || body["refresh_token"] == "" {
		t.Fatalf("token response = %v", body)
	}
	scopes := body["scopes"].([]any)
	joined := ""
	for _, s := range scopes {
		joined += s.(string) + " "
	}
	if !strings.Contains(joined, "crm.schemas.contacts.write") || strings.Contains(joined, "crm.schemas.deals.write") {
		t.Errorf("granted scopes %q: optional scope the portal lacks must be dropped, the other kept", joined)
	}

	// Codes are single use.
	status, again := e.form("/oauth/2026-03/token", exchange)
	if status != 400 || again["error"] != "invalid_grant" || again["status"] != "BAD_AUTH_CODE" {
		t.Errorf("second exchange: %d %v", status, again)
	}

	// The access token works; account details tell the portal's settings.
	at := body["access_token"].(string)
	st, _, details := e.callAs(at, "GET", "/account-info/2026-03/details", nil)
	if st != 200 || details["portalId"].(float64) != hubEU || details["uiDomain"] != "app-eu1.hubspot.com" || details["timeZone"] != "Europe/Berlin" {
		t.Errorf("details: %d %v", st, details)
	}

	// Introspection.
	_, info := e.form("/oauth/2026-03/token/introspect", url.Values{"client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}, "token": {at}})
	if info["active"] != true || info["hub_id"].(float64) != hubEU || info["token_use"] != "access_token" {
		t.Errorf("introspect = %v", info)
	}
}

func TestAuthorizeRejections(t *testing.T) {
	e := newEnv(t, Options{RequiredScopes: []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"}})
	ctx := context.Background()
	denied, err := Deny(ctx, e.ts.Client(), authorizeURL(e, "s", nil), hubEU)
	if err != nil {
		t.Fatal(err)
	}
	if denied.Query().Get("error") != "access_denied" || denied.Query().Get("code") != "" || denied.Query().Get("state") != "s" {
		t.Errorf("deny redirect = %s", denied)
	}
	cases := map[string]url.Values{
		"unknown client":    {"client_id": {"nope"}},
		"no redirect":       {"redirect_uri": {""}},
		"scope mismatch":    {"scope": {"oauth crm.objects.contacts.read"}},
		"no scope at all":   {"scope": {""}},
		"relative redirect": {"redirect_uri": {"/callback"}},
	}
	for name, extra := range cases {
		resp, err := e.ts.Client().Get(authorizeURL(e, "s", extra))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(page), "Authorization failed") {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t, Options{Portals: DefaultPortals()})
	_, refresh := e.srv.IssueToken(hubEU, allScopes)
	creds := url.Values{"client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}}
	with := func(extra url.Values) url.Values {
		out := url.Values{}
		for k, v := range creds {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	status, body := e.form("/oauth/2026-03/token", with(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}))
	if status != 200 || body["refresh_token"] != refresh || body["access_token"] == "" {
		t.Fatalf("refresh: %d %v", status, body)
	}
	status, body = e.form("/oauth/2026-03/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {e.srv.ClientID()}, "client_secret": {"wrong"}})
	if status != 400 || body["error"] != "invalid_client" {
		t.Errorf("bad secret: %d %v", status, body)
	}
	e.srv.RevokeRefreshToken(refresh)
	status, body = e.form("/oauth/2026-03/token", with(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}))
	if status != 400 || body["error"] != "invalid_grant" || body["status"] != "BAD_REFRESH_TOKEN" {
		t.Errorf("revoked: %d %v", status, body)
	}
	_, refresh2 := e.srv.IssueToken(hubEU, allScopes)
	e.srv.UninstallApp(hubEU)
	status, body = e.form("/oauth/2026-03/token", with(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2}}))
	if status != 400 || body["status"] != "BAD_HUB" || body["error"] == "invalid_grant" {
		t.Errorf("uninstalled: %d %v", status, body)
	}

	// Credentials in the query string or a JSON body are refused.
	resp, err := e.ts.Client().Post(e.ts.URL+"/oauth/2026-03/token?client_secret=x", "application/x-www-form-urlencoded", strings.NewReader("grant_type=refresh_token"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("query credentials: %d", resp.StatusCode)
	}
	resp, err = e.ts.Client().Post(e.ts.URL+"/oauth/2026-03/token", "application/json", strings.NewReader(`{"grant_type":"refresh_token"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("JSON body: %d", resp.StatusCode)
	}
}

func TestRevokeKillsRefreshToken(t *testing.T) {
	e := newEnv(t, Options{})
	_, refresh := e.srv.IssueToken(hubEU, allScopes)
	status, _ := e.form("/oauth/2026-03/token/revoke", url.Values{"token": {refresh}, "client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}})
	if status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	if e.srv.RefreshTokenActive(refresh) {
		t.Error("refresh token still active after revoke")
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newEnv(t, Options{AccessTokenTTL: time.Minute})
	at, _ := e.srv.IssueToken(hubEU, allScopes)
	if st, _, _ := e.callAs(at, "GET", "/crm/properties/2026-03/contacts", nil); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	e.clock.Advance(61 * time.Second)
	st, _, body := e.callAs(at, "GET", "/crm/properties/2026-03/contacts", nil)
	if st != 401 || body["category"] != "EXPIRED_AUTHENTICATION" || !strings.Contains(body["message"].(string), "expired 1 second(s) ago") {
		t.Errorf("expired: %d %v", st, body)
	}
	st, _, body = e.callAs("garbage", "GET", "/crm/properties/2026-03/contacts", nil)
	if st != 401 || body["category"] != "INVALID_AUTHENTICATION" {
		t.Errorf("garbage token: %d %v", st, body)
	}
}

func TestStaticTokenAndScopeEnforcement(t *testing.T) {
	e := newEnv(t, Options{StaticTokens: []StaticToken{{Token: "pat-eu1-abc", HubID: hubEU, Scopes: []string{"crm.objects.contacts.read"}}}})
	if st, _, _ := e.callAs("pat-eu1-abc", "POST", v+"contacts/batch/read", map[string]any{"inputs": []any{}}); st != 200 {
		t.Errorf("static token read: %d", st)
	}
	st, _, body := e.callAs("pat-eu1-abc", "POST", v+"contacts/batch/create", map[string]any{"inputs": []any{}})
	if st != 403 || body["category"] != "MISSING_SCOPES" {
		t.Fatalf("write without scope: %d %v", st, body)
	}
	errs := list(t, body, "errors")
	if got := ctxList(t, errs[0], "requiredScopes"); len(got) != 1 || got[0] != "crm.objects.contacts.write" {
		t.Errorf("requiredScopes = %v", got)
	}
	// Property creation needs the schema write scope, not the object one.
	at, _ := e.srv.IssueToken(hubEU, []string{"crm.objects.deals.write", "crm.objects.deals.read"})
	st, _, body = e.callAs(at, "POST", "/crm/properties/2026-03/deals", map[string]any{"name": "x", "label": "X", "type": "string", "fieldType": "text"})
	if st != 403 || ctxList(t, list(t, body, "errors")[0], "requiredScopes")[0] != "crm.schemas.deals.write" {
		t.Errorf("property create with object scope: %d %v", st, body)
	}
	// The private-app token info tells the token's scopes.
	resp, err := e.ts.Client().Post(e.ts.URL+"/oauth/v2/private-apps/get/access-token-info", "application/json", strings.NewReader(`{"tokenKey":"pat-eu1-abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("token info: %d", resp.StatusCode)
	}
}

func TestPinnedPortalSkipsAccountChoice(t *testing.T) {
	e := newEnv(t, Options{})
	u := strings.Replace(authorizeURL(e, "pin", nil), "/oauth/authorize?", "/oauth/13579246/authorize?", 1)
	resp, err := e.ts.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), "Choose an account") || !strings.Contains(string(page), "Example Events Inc. (13579246)") {
		t.Fatalf("pinned page: %s", page)
	}
	redirect, err := Approve(context.Background(), e.ts.Client(), u, 0)
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.form("/oauth/2026-03/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {e.srv.ClientID()},
		"client_secret": {e.srv.ClientSecret()}, "redirect_uri": {"http://localhost:8080/hubspot/callback"}, "code": {redirect.Query().Get("code")}})
	if status != 200 || body["hub_id"].(float64) != 13579246 {
		t.Errorf("exchange: %d %v", status, body)
	}
}
