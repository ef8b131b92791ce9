package hubspot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/sync/singleflight"

	"pretix-hubspot/models"
)

// RefreshMargin: access tokens are refreshed when less than this remains.
const RefreshMargin = 5 * time.Minute

// OAuthSource returns the OAuth helper with the current app credentials
// (they may change at run time in the app settings).
type OAuthSource func(ctx context.Context) (*OAuth, error)

// tokenManager hands out access tokens per portal: it refreshes them before
// they expire, one refresh per portal at a time, persists what it gets, and
// parks a connection whose grant is dead.
type tokenManager struct {
	store  *Store
	oauth  OAuthSource
	clock  clockwork.Clock
	log    *slog.Logger
	flight singleflight.Group
}

// needsReconnect is the error of any call on a parked connection.
func needsReconnect(hubID int64, reason string) *Error {
	if reason == "" {
		reason = "HubSpot no longer accepts the stored tokens"
	}
	return &Error{Class: ClassConfig, Op: "use connection", Category: "NEEDS_RECONNECT",
		Message: fmt.Sprintf("the connection to HubSpot account %d needs to be reconnected: %s", hubID, reason)}
}

// token returns a usable access token for hubID.
func (m *tokenManager) token(ctx context.Context, hubID int64) (string, error) {
	c, err := m.store.credentials(ctx, hubID)
	if err != nil {
		return "", err
	}
	if c.state != models.HubSpotStateActive {
		return "", needsReconnect(hubID, c.reason)
	}
	if c.kind == models.HubSpotKindStatic || m.clock.Now().Add(RefreshMargin).Before(c.expiresAt) {
		return c.access, nil
	}
	return m.refresh(ctx, hubID, c.access, false)
}

// refresh runs one refresh per portal at a time. stale is the token the
// caller holds; if another caller has replaced it meanwhile, that token is
// used instead of refreshing again. force refreshes even a token that looks
// valid (after a 401 EXPIRED_AUTHENTICATION).
func (m *tokenManager) refresh(ctx context.Context, hubID int64, stale string, force bool) (string, error) {
	ch := m.flight.DoChan(strconv.FormatInt(hubID, 10), func() (any, error) {
		// Detached from the first caller: its cancellation must not fail
		// the refresh the others wait for.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 45*time.Second)
		defer cancel()
		return m.doRefresh(rctx, hubID, stale, force)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", networkError("refresh access token", ctx.Err())
	}
}

func (m *tokenManager) doRefresh(ctx context.Context, hubID int64, stale string, force bool) (string, error) {
	c, err := m.store.credentials(ctx, hubID)
	if err != nil {
		return "", err
	}
	if c.state != models.HubSpotStateActive {
		return "", needsReconnect(hubID, c.reason)
	}
	now := m.clock.Now()
	fresh := now.Add(RefreshMargin).Before(c.expiresAt)
	if c.access != stale && fresh {
		return c.access, nil
	}
	if fresh && !force {
		return c.access, nil
	}
	if c.kind != models.HubSpotKindOAuth || c.refresh == "" {
		return "", needsReconnect(hubID, "the token was rejected and cannot be refreshed")
	}
	o, err := m.oauth(ctx)
	if err != nil {
		return "", err
	}
	g, err := o.Refresh(ctx, c.refresh)
	if err != nil {
		var he *Error
		if errors.As(err, &he) && deadGrant(he) {
			reason := fmt.Sprintf("HubSpot refused to refresh the access token (%s: %s)", firstNonEmpty(he.OAuthStatus, he.OAuthError), he.Message)
			if serr := m.store.markNeedsReconnect(ctx, hubID, reason); serr != nil {
				m.log.Error("hubspot: mark connection needs_reconnect", "hub_id", hubID, "err", serr)
			}
			m.log.Warn("hubspot: refresh token is dead; connection needs reconnect", "hub_id", hubID, "status", he.OAuthStatus)
			return "", needsReconnect(hubID, reason)
		}
		_ = m.store.recordRefreshError(ctx, hubID, err.Error())
		m.log.Warn("hubspot: token refresh failed", "hub_id", hubID, "err", err)
		// A transient failure: the current token still works until it expires.
		if !force && now.Before(c.expiresAt) {
			return c.access, nil
		}
		return "", err
	}
	if err := m.store.saveRefreshed(ctx, hubID, g); err != nil {
		return "", fmt.Errorf("hubspot: store refreshed token of %d: %w", hubID, err)
	}
	m.log.Info("hubspot: access token refreshed", "hub_id", hubID, "expires_at", g.ExpiresAt)
	return g.AccessToken.Reveal(), nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// tokenSource is what a Client needs from its credentials.
type tokenSource interface {
	token(ctx context.Context) (string, error)
	// refreshAfter401 gets a token to replace failed; it fails when the
	// token cannot be replaced.
	refreshAfter401(ctx context.Context, failed string) error
	// reject parks the connection after HubSpot refused its token outright.
	reject(ctx context.Context, reason string)
}

// portalTokens is the tokenSource of a stored connection.
type portalTokens struct {
	m     *tokenManager
	hubID int64
}

func (p portalTokens) token(ctx context.Context) (string, error) { return p.m.token(ctx, p.hubID) }

func (p portalTokens) refreshAfter401(ctx context.Context, failed string) error {
	_, err := p.m.refresh(ctx, p.hubID, failed, true)
	return err
}

func (p portalTokens) reject(ctx context.Context, reason string) {
	if err := p.m.store.markNeedsReconnect(ctx, p.hubID, reason); err != nil {
		p.m.log.Error("hubspot: mark connection needs_reconnect", "hub_id", p.hubID, "err", err)
	}
}

// fixedToken is the tokenSource of a token not stored yet (checking a
// static token, reading account details right after the code exchange).
type fixedToken string

func (f fixedToken) token(context.Context) (string, error) { return string(f), nil }
func (f fixedToken) refreshAfter401(context.Context, string) error {
	return &Error{Class: ClassConfig, Op: "use token", Status: 401, Message: "the token was rejected"}
}
func (f fixedToken) reject(context.Context, string) {}
