package hubspot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

func TestRefreshBeforeExpiryOncePerPortal(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	if n := h.count(tokenEndpoint); n != 1 {
		t.Fatalf("token calls after connect = %d", n)
	}
	h.clock.Advance(24 * time.Minute) // 6 min left: no refresh yet
	if _, err := cl.AccountDetails(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.count(tokenEndpoint); n != 1 {
		t.Fatalf("refreshed with 6 minutes left (%d calls)", n)
	}
	h.clock.Advance(2 * time.Minute) // 4 min left: refresh, once for all callers
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cl.AccountDetails(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := h.count(tokenEndpoint); n != 2 {
		t.Errorf("token calls = %d, want exactly one refresh", n)
	}
	c, _ := h.svc.Connection(ctx, hubEU)
	if c.LastRefreshAt == nil || !c.ExpiresAt.Equal(h.clock.Now().Add(30*time.Minute)) {
		t.Errorf("refresh not persisted: %+v", c)
	}
	// A second client for the same portal (another event) uses the stored token.
	cl2, _ := h.svc.Client(ctx, hubEU)
	if _, err := cl2.AccountDetails(ctx); err != nil || h.count(tokenEndpoint) != 2 {
		t.Errorf("second client: %v, token calls %d", err, h.count(tokenEndpoint))
	}
}

func TestRefreshAndRetryOnceOn401(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	h.fake.ExpireAccessTokens(hubEU) // HubSpot says expired although our clock says fine
	before := h.fake.Stats()
	if _, err := cl.Pipelines(ctx, Deals); err != nil {
		t.Fatal(err)
	}
	after := h.fake.Stats()
	if got := after.Requests["GET /crm/pipelines/{version}/deals"] - before.Requests["GET /crm/pipelines/{version}/deals"]; got != 2 {
		t.Errorf("pipeline calls = %d, want 2 (401, then retry)", got)
	}
	if after.Statuses[401]-before.Statuses[401] != 1 || h.count(tokenEndpoint) != 2 {
		t.Errorf("401s %d, token calls %d", after.Statuses[401]-before.Statuses[401], h.count(tokenEndpoint))
	}
}

func TestDeadRefreshTokenNeedsReconnect(t *testing.T) {
	cases := []struct {
		name   string
		kill   func(h *harness, refresh string)
		status string
	}{
		{"revoked grant", func(h *harness, rt string) { h.fake.RevokeRefreshToken(rt) }, "BAD_REFRESH_TOKEN"},
		{"app uninstalled", func(h *harness, _ string) { h.fake.UninstallApp(hubEU) }, "BAD_HUB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, hubspotfake.Options{}, nil)
			ctx := context.Background()
			cl := h.connect(hubEU)
			creds, _ := h.svc.store.credentials(ctx, hubEU)
			c.kill(h, creds.refresh)
			h.clock.Advance(28 * time.Minute)
			_, err := cl.Properties(ctx, Deals)
			if ClassOf(err) != ClassConfig || !strings.Contains(err.Error(), c.status) {
				t.Fatalf("err = %v", err)
			}
			conn, _ := h.svc.Connection(ctx, hubEU)
			if conn.State != models.HubSpotStateNeedsReconnect || !strings.Contains(conn.StateReason, c.status) {
				t.Errorf("connection = %+v", conn)
			}
			if strings.Contains(err.Error(), creds.refresh) || strings.Contains(conn.StateReason, creds.refresh) {
				t.Error("refresh token leaked into a message")
			}
			// No retry loop: later calls fail at once without touching HubSpot.
			before := h.fake.Stats().Total
			for i := 0; i < 3; i++ {
				if _, err := cl.AccountDetails(ctx); ClassOf(err) != ClassConfig {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if err := h.svc.RefreshExpiring(ctx, time.Hour); err != nil {
				t.Errorf("RefreshExpiring must skip parked connections: %v", err)
			}
			if got := h.fake.Stats().Total - before; got != 0 {
				t.Errorf("%d requests after the connection was parked", got)
			}
			if h.count(tokenEndpoint) != 2 {
				t.Errorf("token calls = %d, want 2 (exchange, one refresh)", h.count(tokenEndpoint))
			}
			if _, err := h.svc.Client(ctx, hubEU); ClassOf(err) != ClassConfig {
				t.Errorf("Client() of parked connection: %v", err)
			}
			ae := err.(*Error).AppErr()
			if ae.Code != "hubspot_needs_reconnect" || !strings.Contains(ae.Message, "Request access") {
				t.Errorf("user message = %+v", ae)
			}
		})
	}
}

func TestRefreshExpiringForIdlePortals(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	h.connect(hubEU)
	if err := h.svc.RefreshExpiring(ctx, 10*time.Minute); err != nil || h.count(tokenEndpoint) != 1 {
		t.Fatalf("fresh token refreshed: %v, %d", err, h.count(tokenEndpoint))
	}
	h.clock.Advance(22 * time.Minute)
	if err := h.svc.RefreshExpiring(ctx, 10*time.Minute); err != nil || h.count(tokenEndpoint) != 2 {
		t.Fatalf("expiring token not refreshed: %v, %d", err, h.count(tokenEndpoint))
	}
}

func TestSecretRedacts(t *testing.T) {
	g := TokenGrant{AccessToken: "at-123", RefreshToken: "rt-456", HubID: 1}
	for _, s := range []string{fmtV(g), fmtPlusV(g), fmtSharpV(g), jsonOf(t, g)} {
		if strings.Contains(s, "at-123") || strings.Contains(s, "rt-456") {
			t.Errorf("token printed: %s", s)
		}
	}
	if g.AccessToken.Reveal() != "at-123" {
		t.Error("Reveal")
	}
}
