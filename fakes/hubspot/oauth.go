package hubspotfake

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

type authRequest struct {
	id          string
	redirectURI string
	state       string
	scopes      []string
	optional    []string
	portal      int64 // 0 until an account was chosen
}

type authCode struct {
	hub         int64
	redirectURI string
	scopes      []string
	expires     time.Time
	used        bool
}

// grant is an app installation in a portal, named by its refresh token.
type grant struct {
	refresh string
	hub     int64
	scopes  []string
	revoked bool
}

type accessToken struct {
	hub     int64
	scopes  []string
	expires time.Time
}

// oauthError is HubSpot's OAuth error: RFC 6749 fields plus the legacy ones.
func (s *Server) oauthError(w http.ResponseWriter, status int, code, legacy, description string) {
	s.mu.Lock()
	corr := s.correlationID()
	s.mu.Unlock()
	s.writeJSON(w, status, map[string]string{
		"error": code, "error_description": description,
		"status": legacy, "message": description, "correlationId": corr,
	})
}

// formBody parses an OAuth form, refusing credentials in the query string:
// the 2026-03 endpoints take them in the body only, so they stay out of logs.
func (s *Server) formBody(w http.ResponseWriter, r *http.Request) bool {
	if !s.versions[r.PathValue("version")] {
		s.oauthError(w, http.StatusNotFound, "invalid_request", "NOT_FOUND", "Unknown OAuth API version; use a date version such as 2026-03.")
		return false
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "Send the parameters as an application/x-www-form-urlencoded body.")
		return false
	}
	if r.URL.RawQuery != "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "Query parameters are not accepted here; send every parameter in the request body.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "The form body could not be parsed.")
		return false
	}
	return true
}

func (s *Server) checkClient(w http.ResponseWriter, r *http.Request) bool {
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		s.oauthError(w, http.StatusBadRequest, "invalid_client", "BAD_CLIENT_ID", "missing or unknown client id")
		return false
	}
	if r.PostForm.Get("client_secret") != s.opts.ClientSecret {
		s.oauthError(w, http.StatusBadRequest, "invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client secret")
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.formBody(w, r) || !s.checkClient(w, r) {
		return
	}
	f := r.PostForm
	switch f.Get("grant_type") {
	case "authorization_code":
		s.mu.Lock()
		code := s.codes[f.Get("code")]
		now := s.clock.Now()
		switch {
		case code == nil || code.used || !now.Before(code.expires):
			s.mu.Unlock()
			s.oauthError(w, http.StatusBadRequest, "invalid_grant", "BAD_AUTH_CODE", "missing or invalid authorization code")
			return
		case code.redirectURI != f.Get("redirect_uri"):
			s.mu.Unlock()
			s.oauthError(w, http.StatusBadRequest, "invalid_grant", "BAD_REDIRECT_URI", "redirect_uri does not match the one of the authorization request")
			return
		}
		code.used = true
		g := &grant{refresh: "na1-" + s.randHex(8) + "-" + s.randHex(4) + "-" + s.randHex(4) + "-" + s.randHex(4) + "-" + s.randHex(12), hub: code.hub, scopes: code.scopes}
		s.grants[g.refresh] = g
		body := s.issueAccessLocked(g)
		s.mu.Unlock()
		s.writeJSON(w, http.StatusOK, body)
	case "refresh_token":
		s.mu.Lock()
		g := s.grants[f.Get("refresh_token")]
		if g == nil || g.revoked {
			s.mu.Unlock()
			s.oauthError(w, http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
			return
		}
		if pt := s.portals[g.hub]; pt == nil || !pt.installed {
			s.mu.Unlock()
			s.oauthError(w, http.StatusBadRequest, "access_denied", "BAD_HUB", fmt.Sprintf("the app is no longer installed in hub %d", g.hub))
			return
		}
		body := s.issueAccessLocked(g)
		s.mu.Unlock()
		s.writeJSON(w, http.StatusOK, body)
	default:
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token")
	}
}

// issueAccessLocked mints an access token for g and returns HubSpot's token
// response; s.mu is held.
func (s *Server) issueAccessLocked(g *grant) map[string]any {
	tok := "fake-at-" + s.randHex(48)
	ttl := s.opts.AccessTokenTTL
	s.access[tok] = &accessToken{hub: g.hub, scopes: g.scopes, expires: s.clock.Now().Add(ttl)}
	return map[string]any{
		"access_token": tok, "refresh_token": g.refresh, "expires_in": int(ttl.Seconds()),
		"token_type": "bearer", "token_use": "access_token", "hub_id": g.hub, "user_id": 1001,
		"scopes": g.scopes,
	}
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if !s.formBody(w, r) || !s.checkClient(w, r) {
		return
	}
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	base := func(hub int64, scopes []string, use string) map[string]any {
		pt := s.portals[hub]
		return map[string]any{
			"active": true, "token_use": use, "hub_id": hub, "hub_domain": pt.Domain,
			"user": s.opts.UserEmail, "user_id": 1001, "app_id": s.opts.AppID, "client_id": s.opts.ClientID,
			"scopes": scopes, "is_private_distribution": false,
		}
	}
	if at := s.access[tok]; at != nil && now.Before(at.expires) && s.portals[at.hub].installed {
		out := base(at.hub, at.scopes, "access_token")
		out["expires_in"] = int(at.expires.Sub(now).Seconds())
		s.writeJSON(w, http.StatusOK, out)
		return
	}
	if g := s.grants[tok]; g != nil && !g.revoked && s.portals[g.hub].installed {
		s.writeJSON(w, http.StatusOK, base(g.hub, g.scopes, "refresh_token"))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if !s.formBody(w, r) {
		return
	}
	if r.PostForm.Get("client_id") != "" && !s.checkClient(w, r) {
		return
	}
	s.mu.Lock()
	if g := s.grants[r.PostForm.Get("token")]; g != nil {
		g.revoked = true
	}
	s.mu.Unlock()
	// RFC 7009: an unknown token is not an error either.
	w.WriteHeader(http.StatusNoContent)
}

// privateAppTokenInfo answers the legacy private-app token-info call
// (reference: unverified), which is how a static token learns its scopes.
func (s *Server) privateAppTokenInfo(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TokenKey string `json:"tokenKey"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.static[in.TokenKey]
	if !ok {
		s.writeError(w, invalidAuth())
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"userId": 1001, "hubId": st.HubID, "appId": s.opts.AppID, "scopes": st.Scopes})
}

func (s *Server) accountDetails(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope("oauth"); e != nil {
		s.writeError(w, e)
		return
	}
	pt := c.portal
	now := s.clock.Now().In(pt.loc)
	_, off := now.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s.writeJSON(w, http.StatusOK, map[string]any{
		"portalId": pt.ID, "accountType": pt.AccountType, "timeZone": pt.TimeZone,
		"companyCurrency": pt.Currency, "additionalCurrencies": nonNil(pt.AdditionalCurrencies),
		"utcOffset":             fmt.Sprintf("%s%02d:%02d", sign, off/3600, off%3600/60),
		"utcOffsetMilliseconds": int64(off) * 1000 * map[string]int64{"+": 1, "-": -1}[sign],
		"uiDomain":              pt.UIDomain, "dataHostingLocation": pt.DataHostingLocation,
	})
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func splitScopes(s string) []string {
	return strings.Fields(s)
}
