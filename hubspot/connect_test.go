package hubspot

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/apperr"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

func TestAuthorizeURL(t *testing.T) {
	o := NewOAuth(OAuthConfig{ClientID: "cid", RedirectURL: "http://localhost:8080/cb", AppBaseURL: "https://app.example"})
	u := o.AuthorizeURL("st")
	want := "scope=oauth%20crm.objects.contacts.read%20crm.objects.contacts.write%20crm.objects.companies.read%20crm.objects.companies.write%20crm.objects.deals.read%20crm.objects.deals.write%20crm.schemas.contacts.read%20crm.schemas.companies.read%20crm.schemas.deals.read"
	if !strings.HasPrefix(u, "https://app.example/oauth/authorize?") || !strings.Contains(u, want) {
		t.Fatalf("authorize URL %s lacks %s", u, want)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	if q.Get("optional_scope") != "crm.schemas.contacts.write crm.schemas.companies.write crm.schemas.deals.write crm.objects.marketing_events.read crm.objects.marketing_events.write crm.objects.line_items.read crm.objects.line_items.write crm.schemas.line_items.write e-commerce" ||
		q.Get("client_id") != "cid" || q.Get("redirect_uri") != "http://localhost:8080/cb" || q.Get("state") != "st" {
		t.Errorf("query = %v", q)
	}
}

func TestConnectOAuthEndToEnd(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	u, err := h.svc.BeginConnect(ctx, "sess", "/events/demo/hubspot")
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := hubspotfake.Approve(ctx, h.http, u, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.CompleteConnect(ctx, "sess", redirect.Query())
	if err != nil {
		t.Fatal(err)
	}
	c := res.Connection
	if res.ReturnTo != "/events/demo/hubspot" || c.HubID != hubEU || c.Kind != models.HubSpotKindOAuth || c.State != models.HubSpotStateActive ||
		c.UIDomain != "app-eu1.hubspot.com" || c.TimeZone != "Europe/Berlin" || c.Currency != "EUR" || c.UserEmail != "admin@example.org" {
		t.Fatalf("connection = %+v", c)
	}
	if len(c.MissingScopes) != 0 || !c.CanCreateProperties(Deals) {
		t.Errorf("scopes = %v, missing %v", c.Scopes, c.MissingScopes)
	}
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(h.clock.Now().Add(30*time.Minute)) {
		t.Errorf("expires at %v, want now+30m", c.ExpiresAt)
	}
	// Tokens are stored sealed, never in clear.
	var row models.HubSpotConnection
	if err := h.db.Where("hub_id = ?", hubEU).Take(&row).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(row.AccessTokenSealed, "v1:") || strings.Contains(row.AccessTokenSealed, "fake-at-") || strings.Contains(row.RefreshTokenSealed, "na1-") {
		t.Errorf("tokens not sealed: %q / %q", row.AccessTokenSealed, row.RefreshTokenSealed)
	}
	plain, err := h.box.Open(row.AccessTokenSealed)
	if err != nil || !strings.HasPrefix(plain, "fake-at-") {
		t.Errorf("sealed access token opens to %q, %v", plain, err)
	}
	// The stored connection works.
	cl, err := h.svc.Client(ctx, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Properties(ctx, Contacts); err != nil {
		t.Fatal(err)
	}
	// Replaying the same callback fails: the state was used.
	_, err = h.svc.CompleteConnect(ctx, "sess", redirect.Query())
	if !errors.Is(err, ErrStateReused) {
		t.Errorf("replay: %v", err)
	}
}

func TestConnectRejections(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()

	u, _ := h.svc.BeginConnect(ctx, "sess", "")
	denied, err := hubspotfake.Deny(ctx, h.http, u, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.CompleteConnect(ctx, "sess", denied.Query())
	if ae, ok := apperr.As(err); !ok || ae.Code != "hubspot_access_denied" {
		t.Errorf("deny: %v", err)
	}

	u, _ = h.svc.BeginConnect(ctx, "sess", "")
	redirect, _ := hubspotfake.Approve(ctx, h.http, u, hubEU)
	if _, err := h.svc.CompleteConnect(ctx, "other-session", redirect.Query()); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("other session: %v", err)
	}

	u, _ = h.svc.BeginConnect(ctx, "sess", "")
	redirect, _ = hubspotfake.Approve(ctx, h.http, u, hubEU)
	h.clock.Advance(StateTTL + time.Second)
	if _, err := h.svc.CompleteConnect(ctx, "sess", redirect.Query()); !errors.Is(err, ErrStateExpired) {
		t.Errorf("slow user: %v", err)
	}
	if n, _ := h.svc.Connections(ctx); len(n) != 0 {
		t.Errorf("rejected callbacks stored %d connections", len(n))
	}

	// Without app credentials, Request access says what to do.
	bare := newHarness(t, hubspotfake.Options{}, func(o *Options) { o.ClientID, o.ClientSecret = "", "" })
	if _, err := bare.svc.BeginConnect(ctx, "s", ""); err == nil || !strings.Contains(err.Error(), "client ID and secret") {
		t.Errorf("no credentials: %v", err)
	}
	if err := bare.svc.Store().SaveAppCredentials(ctx, bare.fake.ClientID(), bare.fake.ClientSecret()); err != nil {
		t.Fatal(err)
	}
	if _, err := bare.svc.BeginConnect(ctx, "s", ""); err != nil {
		t.Errorf("with stored credentials: %v", err)
	}
}

func TestAppCredentialsSealed(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	if err := h.svc.Store().SaveAppCredentials(ctx, "", "x"); err == nil {
		t.Error("empty client id accepted")
	}
	if err := h.svc.Store().SaveAppCredentials(ctx, "id-1", "very-secret"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Store().SaveAppCredentials(ctx, "id-2", ""); err != nil {
		t.Fatal(err)
	}
	var row models.HubSpotAppSettings
	h.db.Take(&row)
	if strings.Contains(row.ClientSecretSealed, "very-secret") || row.ClientID != "id-2" {
		t.Errorf("row = %+v", row)
	}
	id, sec, err := h.svc.Store().AppCredentials(ctx)
	if err != nil || id != "id-2" || sec != "very-secret" {
		t.Errorf("credentials = %q %q %v", id, sec, err)
	}
}

func TestStaticTokenCheck(t *testing.T) {
	withOAuth := append([]string{"oauth"}, allScopes[1:]...)
	noOAuth := allScopes[1:]
	h := newHarness(t, hubspotfake.Options{StaticTokens: []hubspotfake.StaticToken{
		{Token: "pat-full", HubID: hubEU, Scopes: withOAuth},
		{Token: "pat-key", HubID: hubEU, Scopes: noOAuth},
		{Token: "pat-thin", HubID: 13579246, Scopes: []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"}},
	}}, nil)
	ctx := context.Background()
	cases := []struct {
		name  string
		token string
		hint  int64
		code  string // "" = success
		field string
	}{
		{"empty", " ", 0, "hubspot_token_missing", "token"},
		{"unknown token", "pat-nope", 0, "hubspot_token_invalid", "token"},
		{"key without account access needs the hub id", "pat-key", 0, "hubspot_hub_id_needed", "hub_id"},
		{"wrong hub id", "pat-full", 13579246, "hubspot_hub_id_mismatch", "hub_id"},
		{"missing scopes", "pat-thin", 0, "hubspot_missing_scopes", "token"},
		{"key with hub id", "pat-key", hubEU, "", ""},
		{"full token", "pat-full", 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := h.svc.ConnectStatic(ctx, c.token, c.hint)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if conn.Kind != models.HubSpotKindStatic || conn.HubID != hubEU || len(conn.MissingScopes) != 0 || conn.ExpiresAt != nil {
					t.Errorf("connection = %+v", conn)
				}
				if strings.Contains(err2str(err), c.token) {
					t.Error("token in error")
				}
				return
			}
			ae, ok := apperr.As(err)
			if !ok || ae.Code != c.code || ae.Fields[c.field] == "" {
				t.Fatalf("err = %v (%+v)", err, ae)
			}
			if strings.Contains(ae.Message, c.token) && strings.TrimSpace(c.token) != "" {
				t.Error("the token leaked into the message")
			}
			if c.code == "hubspot_missing_scopes" && !strings.Contains(ae.Message, "crm.objects.deals.write") {
				t.Errorf("message does not list the missing scopes: %s", ae.Message)
			}
		})
	}
	// The stored static token is used for calls.
	cl, err := h.svc.Client(ctx, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Pipelines(ctx, Deals); err != nil {
		t.Fatal(err)
	}
}

func err2str(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDisconnectRevokesAndWipes(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	h.connect(hubEU)
	creds, err := h.svc.store.credentials(ctx, hubEU)
	if err != nil {
		t.Fatal(err)
	}
	if !h.fake.RefreshTokenActive(creds.refresh) {
		t.Fatal("refresh token inactive before disconnect")
	}
	if err := h.svc.Disconnect(ctx, hubEU); err != nil {
		t.Fatal(err)
	}
	if h.fake.RefreshTokenActive(creds.refresh) {
		t.Error("refresh token still active at HubSpot")
	}
	var row models.HubSpotConnection
	h.db.Where("hub_id = ?", hubEU).Take(&row)
	if row.State != models.HubSpotStateRemoved || row.AccessTokenSealed != "" || row.RefreshTokenSealed != "" {
		t.Errorf("row after disconnect = %+v", row)
	}
	if _, err := h.svc.Client(ctx, hubEU); ClassOf(err) != ClassConfig {
		t.Errorf("client of removed connection: %v", err)
	}
	// Connecting again brings it back.
	h.connect(hubEU)
	if c, _ := h.svc.Connection(ctx, hubEU); c.State != models.HubSpotStateActive {
		t.Errorf("after reconnect: %+v", c)
	}
}
