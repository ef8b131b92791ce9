package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/oauth2"
)

// Secret is a token in memory. It prints as [redacted] in logs, %v and
// JSON, so a struct holding one can be logged safely; Reveal gives the value.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret in %#v.
func (Secret) GoString() string { return "[redacted]" }

// MarshalJSON redacts the secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// OAuthConfig configures the authorization-code flow of the user's HubSpot app.
type OAuthConfig struct {
	ClientID       string
	ClientSecret   string
	RedirectURL    string
	AppBaseURL     string   // host of /oauth/authorize; default DefaultAppBaseURL
	APIBaseURL     string   // host of the token endpoints; default DefaultAPIBaseURL
	Scopes         []string // default RequiredScopes
	OptionalScopes []string // default OptionalScopes
	HTTPClient     *http.Client
	Clock          clockwork.Clock
}

// OAuth runs HubSpot's OAuth endpoints.
type OAuth struct {
	cfg   OAuthConfig
	oc    oauth2.Config
	http  *http.Client
	clock clockwork.Clock
}

// TokenGrant is what the token endpoint returned.
type TokenGrant struct {
	AccessToken  Secret
	RefreshToken Secret
	ExpiresAt    time.Time
	HubID        int64
	Scopes       []string
}

// TokenInfo is the introspection of a token.
type TokenInfo struct {
	Active    bool     `json:"active"`
	TokenUse  string   `json:"token_use"`
	HubID     int64    `json:"hub_id"`
	HubDomain string   `json:"hub_domain"`
	User      string   `json:"user"`
	UserID    int64    `json:"user_id"`
	AppID     int64    `json:"app_id"`
	Scopes    []string `json:"scopes"`
	ExpiresIn int      `json:"expires_in"`
}

// NewOAuth builds the helper. Every call it makes has the HTTP client's
// timeout (default 30 s) and the caller's context.
func NewOAuth(cfg OAuthConfig) *OAuth {
	if cfg.AppBaseURL == "" {
		cfg.AppBaseURL = DefaultAppBaseURL
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = DefaultAPIBaseURL
	}
	cfg.AppBaseURL = strings.TrimRight(cfg.AppBaseURL, "/")
	cfg.APIBaseURL = strings.TrimRight(cfg.APIBaseURL, "/")
	if cfg.Scopes == nil {
		cfg.Scopes = RequiredScopes
	}
	if cfg.OptionalScopes == nil {
		cfg.OptionalScopes = OptionalScopes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	return &OAuth{
		cfg: cfg, http: cfg.HTTPClient, clock: cfg.Clock,
		oc: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Scopes: cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:  cfg.AppBaseURL + "/oauth/authorize",
				TokenURL: cfg.APIBaseURL + "/oauth/" + APIVersion + "/token",
				// Form body, never HTTP Basic or the query string.
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
	}
}

// AuthorizeURL is where Request access sends the browser. Scopes are joined
// with %20, as HubSpot documents.
func (o *OAuth) AuthorizeURL(state string) string {
	q := url.Values{}
	q.Set("client_id", o.cfg.ClientID)
	q.Set("redirect_uri", o.cfg.RedirectURL)
	q.Set("scope", strings.Join(o.cfg.Scopes, " "))
	if len(o.cfg.OptionalScopes) > 0 {
		q.Set("optional_scope", strings.Join(o.cfg.OptionalScopes, " "))
	}
	q.Set("state", state)
	// url.Values encodes spaces as "+"; a literal "+" is already %2B.
	return o.oc.Endpoint.AuthURL + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

func (o *OAuth) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, o.http)
}

// Exchange trades an authorization code for tokens.
func (o *OAuth) Exchange(ctx context.Context, code string) (*TokenGrant, error) {
	now := o.clock.Now()
	tok, err := o.oc.Exchange(o.ctx(ctx), code)
	if err != nil {
		return nil, o.tokenError("exchange authorization code", err)
	}
	return grantFrom(tok, now), nil
}

// Refresh gets a new access token for a refresh token.
func (o *OAuth) Refresh(ctx context.Context, refreshToken string) (*TokenGrant, error) {
	now := o.clock.Now()
	tok, err := o.oc.TokenSource(o.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, o.tokenError("refresh access token", err)
	}
	return grantFrom(tok, now), nil
}

// grantFrom computes the expiry from expires_in on our clock: x/oauth2 uses
// the wall clock, which tests replace.
func grantFrom(tok *oauth2.Token, now time.Time) *TokenGrant {
	g := &TokenGrant{AccessToken: Secret(tok.AccessToken), RefreshToken: Secret(tok.RefreshToken)}
	if tok.ExpiresIn > 0 {
		g.ExpiresAt = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	} else {
		g.ExpiresAt = now.Add(30 * time.Minute)
	}
	if v, ok := tok.Extra("hub_id").(float64); ok {
		g.HubID = int64(v)
	}
	if list, ok := tok.Extra("scopes").([]any); ok {
		for _, s := range list {
			if str, ok := s.(string); ok {
				g.Scopes = append(g.Scopes, str)
			}
		}
	}
	return g
}

// tokenError classifies an x/oauth2 failure without keeping its text, which
// may quote the response body.
func (o *OAuth) tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return classifyOAuth(op, status, re.Body)
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return networkError(op, unwrapURLError(err))
}

// unwrapURLError drops *url.Error's wrapper (it repeats the URL) and keeps
// the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// postForm sends a form to an OAuth endpoint and returns status and body.
func (o *OAuth) postForm(ctx context.Context, op, path string, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.APIBaseURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return 0, nil, networkError(op, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, networkError(op, err)
	}
	return resp.StatusCode, body, nil
}

// Revoke invalidates a refresh token. Access tokens already issued stay valid
// until they expire (HubSpot's behaviour).
func (o *OAuth) Revoke(ctx context.Context, refreshToken string) error {
	const op = "revoke refresh token"
	status, body, err := o.postForm(ctx, op, "/oauth/"+APIVersion+"/token/revoke", url.Values{
		"token": {refreshToken}, "token_type_hint": {"refresh_token"},
		"client_id": {o.cfg.ClientID}, "client_secret": {o.cfg.ClientSecret},
	})
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return classifyOAuth(op, status, body)
	}
	return nil
}

// Introspect asks HubSpot who a token belongs to and what it may do.
func (o *OAuth) Introspect(ctx context.Context, token string) (*TokenInfo, error) {
	const op = "introspect token"
	status, body, err := o.postForm(ctx, op, "/oauth/"+APIVersion+"/token/introspect", url.Values{
		"token": {token}, "client_id": {o.cfg.ClientID}, "client_secret": {o.cfg.ClientSecret},
	})
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, classifyOAuth(op, status, body)
	}
	var info TokenInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, &Error{Class: ClassTemporary, Op: op, Status: status, Message: fmt.Sprintf("unreadable answer: %v", err)}
	}
	return &info, nil
}
