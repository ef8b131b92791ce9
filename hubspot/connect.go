package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// BeginConnect starts "Request access": it binds a fresh state to the
// session and returns the HubSpot authorize URL to redirect the browser to.
// returnTo comes back from CompleteConnect (e.g. the event's settings page).
func (s *Service) BeginConnect(ctx context.Context, sessionID, returnTo string) (string, error) {
	o, err := s.OAuth(ctx)
	if err != nil {
		return "", err
	}
	if s.opts.RedirectURL == "" {
		return "", apperr.Invalid("hubspot_redirect_missing", "The OAuth redirect URL is not configured; set it to this app's HubSpot callback URL as registered on your HubSpot app.")
	}
	state, err := s.states.Issue(sessionID, returnTo)
	if err != nil {
		return "", err
	}
	return o.AuthorizeURL(state), nil
}

// ConnectResult is what the OAuth callback produced.
type ConnectResult struct {
	Connection *Connection
	ReturnTo   string
}

// CompleteConnect handles the OAuth callback's query: it checks the state
// (single use, this session, not expired), exchanges the code, reads the
// portal's settings and stores the connection with sealed tokens.
func (s *Service) CompleteConnect(ctx context.Context, sessionID string, query url.Values) (*ConnectResult, error) {
	returnTo, err := s.states.Consume(sessionID, query.Get("state"))
	if err != nil {
		return nil, err
	}
	if e := query.Get("error"); e != "" {
		desc := query.Get("error_description")
		if desc == "" {
			desc = e
		}
		return &ConnectResult{ReturnTo: returnTo}, apperr.Invalid("hubspot_access_denied",
			"HubSpot did not grant access ("+desc+"). Click Request access to try again and choose Connect app.")
	}
	code := query.Get("code")
	if code == "" {
		return &ConnectResult{ReturnTo: returnTo}, apperr.Invalid("hubspot_oauth_no_code", "HubSpot's answer carried no authorization code. Click Request access to try again.")
	}
	o, err := s.OAuth(ctx)
	if err != nil {
		return nil, err
	}
	g, err := o.Exchange(ctx, code)
	if err != nil {
		return &ConnectResult{ReturnTo: returnTo}, err
	}
	tmp := s.newClient(g.HubID, fixedToken(g.AccessToken.Reveal()))
	n := newConnection{hubID: g.HubID, kind: models.HubSpotKindOAuth, access: g.AccessToken.Reveal(), refresh: g.RefreshToken.Reveal(),
		expiresAt: g.ExpiresAt, scopes: g.Scopes, uiDomain: "app.hubspot.com", timeZone: "UTC"}
	acct, err := tmp.AccountDetails(ctx)
	if err != nil {
		return &ConnectResult{ReturnTo: returnTo}, err
	}
	applyAccount(&n, acct)
	if info, err := o.Introspect(ctx, g.AccessToken.Reveal()); err == nil && info.Active {
		n.hubDomain, n.userEmail = info.HubDomain, info.User
		if len(n.scopes) == 0 {
			n.scopes = info.Scopes
		}
	} else if err != nil {
		s.log.Warn("hubspot: token introspection failed; continuing without it", "hub_id", g.HubID, "err", err)
	}
	conn, err := s.store.save(ctx, n)
	if err != nil {
		return nil, err
	}
	s.governor.SetTimeZone(conn.HubID, conn.Location())
	s.log.Info("hubspot: portal connected", "hub_id", conn.HubID, "kind", conn.Kind, "missing_scopes", conn.MissingScopes)
	return &ConnectResult{Connection: conn, ReturnTo: returnTo}, nil
}

func applyAccount(n *newConnection, a *Account) {
	if a.UIDomain != "" {
		n.uiDomain = a.UIDomain
	}
	if a.TimeZone != "" {
		n.timeZone = a.TimeZone
	}
	n.currency, n.accountType = a.CompanyCurrency, a.AccountType
}

// ConnectStatic validates a service key or private-app token against the
// API (which portal, which scopes) and stores it. hubIDHint is the portal id
// the user typed; it is needed only when the token may not read the account
// details, and must match when both are known.
func (s *Service) ConnectStatic(ctx context.Context, token string, hubIDHint int64) (*Connection, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, apperr.Invalid("hubspot_token_missing", "Paste the service key or private app token from HubSpot.").WithField("token", "Required.")
	}
	probe := s.newClient(0, fixedToken(token))
	n := newConnection{kind: models.HubSpotKindStatic, access: token, uiDomain: "app.hubspot.com", timeZone: "UTC"}
	acct, err := probe.AccountDetails(ctx)
	var he *Error
	switch {
	case err == nil:
		n.hubID = acct.PortalID
		applyAccount(&n, acct)
	case errors.As(err, &he) && he.Status == http.StatusUnauthorized:
		return nil, apperr.Invalid("hubspot_token_invalid",
			"HubSpot did not accept this token. Copy the whole key from HubSpot (Development → Keys → Service keys, or your private app's Auth tab) and try again.").
			WithField("token", "HubSpot rejected this token.")
	case errors.As(err, &he) && he.Status == http.StatusForbidden:
		if hubIDHint == 0 {
			return nil, apperr.Invalid("hubspot_hub_id_needed",
				"This key may not read the account details. Enter your HubSpot account ID (the number in your HubSpot URL) and save again.").
				WithField("hub_id", "Required for this key.")
		}
		n.hubID = hubIDHint
	default:
		return nil, err
	}
	if hubIDHint != 0 && n.hubID != hubIDHint {
		return nil, apperr.Invalid("hubspot_hub_id_mismatch",
			fmt.Sprintf("This token belongs to HubSpot account %d, not %d. Check the account ID or the token.", n.hubID, hubIDHint)).
			WithField("hub_id", fmt.Sprintf("The token is for account %d.", n.hubID))
	}
	scopes, err := s.staticScopes(ctx, probe, token, n.hubID)
	if err != nil {
		return nil, err
	}
	n.scopes = scopes
	s.forgetPortal(0) // the probe's cached definitions
	if missing := MissingScopes(scopes, true); len(missing) > 0 {
		return nil, apperr.Invalid("hubspot_missing_scopes",
			"This token lacks scopes the sync needs: "+strings.Join(missing, ", ")+". Add them to the key in HubSpot, then save again.").
			WithField("token", "Missing scopes: "+strings.Join(missing, ", "))
	}
	conn, err := s.store.save(ctx, n)
	if err != nil {
		return nil, err
	}
	s.governor.SetTimeZone(conn.HubID, conn.Location())
	return conn, nil
}

// staticScopes asks the private-app token-info endpoint for the token's
// scopes; where that is not available, it probes the read scopes the sync
// needs (write scopes cannot be probed without writing and are assumed).
func (s *Service) staticScopes(ctx context.Context, probe *Client, token string, hubID int64) ([]string, error) {
	const op = "read token info"
	resp, err := probe.do(ctx, request{op: op, method: http.MethodPost, path: "/oauth/v2/private-apps/get/access-token-info",
		body: map[string]string{"tokenKey": token}, idempotent: true})
	if err == nil {
		var info struct {
			HubID  int64    `json:"hubId"`
			Scopes []string `json:"scopes"`
		}
		if err := json.Unmarshal(resp.body, &info); err == nil && info.Scopes != nil {
			if info.HubID != 0 && info.HubID != hubID {
				return nil, apperr.Invalid("hubspot_hub_id_mismatch", fmt.Sprintf("This token belongs to HubSpot account %d, not %d.", info.HubID, hubID))
			}
			return info.Scopes, nil
		}
	}
	var he *Error
	if err != nil && (!errors.As(err, &he) || he.Class == ClassTemporary || he.Class == ClassRateLimit) {
		return nil, err
	}
	var scopes []string
	for _, ot := range []ObjectType{Contacts, Companies, Deals} {
		_, err := probe.do(ctx, request{op: "check access to " + string(ot), method: http.MethodGet,
			path: "/crm/objects/" + APIVersion + "/" + string(ot), query: url.Values{"limit": {"1"}}, idempotent: true})
		switch {
		case err == nil:
			scopes = append(scopes, "crm.objects."+string(ot)+".read", "crm.objects."+string(ot)+".write")
		case errors.As(err, &he) && he.Status == http.StatusForbidden:
		default:
			return nil, err
		}
		if _, err := probe.loadProperties(ctx, ot); err == nil {
			scopes = append(scopes, "crm.schemas."+string(ot)+".read")
		} else if !errors.As(err, &he) || he.Status != http.StatusForbidden {
			return nil, err
		}
	}
	return scopes, nil
}

// Disconnect revokes the portal's refresh token at HubSpot, wipes the stored
// tokens and marks the connection removed. A token HubSpot already considers
// dead counts as revoked.
func (s *Service) Disconnect(ctx context.Context, hubID int64) error {
	c, err := s.store.credentials(ctx, hubID)
	if err != nil {
		return err
	}
	if c.kind == models.HubSpotKindOAuth && c.refresh != "" {
		o, err := s.OAuth(ctx)
		if err != nil {
			return err
		}
		if err := o.Revoke(ctx, c.refresh); err != nil {
			var he *Error
			if !errors.As(err, &he) || he.Class != ClassConfig {
				return err
			}
		}
	}
	if err := s.store.markRemoved(ctx, hubID, "disconnected by a user"); err != nil {
		return apperr.Internal(err)
	}
	s.forgetPortal(hubID)
	s.log.Info("hubspot: portal disconnected", "hub_id", hubID)
	return nil
}

func (s *Service) forgetPortal(hubID int64) {
	s.propMu.Lock()
	for k := range s.props {
		if k.hub == hubID {
			delete(s.props, k)
		}
	}
	s.propMu.Unlock()
}

// RefreshExpiring refreshes every active OAuth connection whose access token
// expires within `within` (for a scheduler job, so idle portals stay fresh).
// It returns the first error after trying them all.
func (s *Service) RefreshExpiring(ctx context.Context, within time.Duration) error {
	ids, err := s.store.expiringOAuth(ctx, s.clock.Now().Add(within))
	if err != nil {
		return apperr.Internal(err)
	}
	var first error
	for _, id := range ids {
		c, err := s.store.credentials(ctx, id)
		if err == nil {
			_, err = s.tokens.refresh(ctx, id, c.access, true)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
