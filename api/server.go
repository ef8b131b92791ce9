// Package api is the HTTP layer: one route table, thin handlers that bind,
// validate, call a service and respond, and one error handler.
package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"pretix-hubspot/alerts"
	"pretix-hubspot/auth"
	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/hubspotsync/mapping"
	"pretix-hubspot/pretix"
)

// Deps is everything the HTTP layer needs; main.go fills it.
type Deps struct {
	Config *config.Config
	Logger *slog.Logger
	// ProbeWrite checks that the database takes writes (/healthz).
	ProbeWrite func(ctx context.Context, now time.Time) error
	Clock      clockwork.Clock
	Auth       *auth.Service
	UI         fs.FS // the built front end; nil serves a placeholder page

	HubSpot *hubspot.Service // HubSpot connections, event links, app settings
	// Providers is the engine's per-event provider state: the Plugins page.
	Providers *datasync.Providers
	// Mappings is the object/property mapping service behind the mapping editor.
	Mappings *mapping.Service
	// Pretix holds the pretix connections, pulls, stored orders and the webhook receiver.
	Pretix *pretix.Service
	// SyncStatus is the sync engine's read side: an order's jobs and results,
	// the problems lists with counts, the dashboard flag, Retry and Cancel.
	SyncStatus *datasync.Status
	// SyncNow queues orders by hand (Sync now, bulk "Sync orders…").
	SyncNow *datasync.Enqueuer
	// SyncBulk is the orders list's "Sync orders…" action with its progress.
	SyncBulk *datasync.Bulk
	// Marketing is the "Marketing event" section of an event's HubSpot page.
	Marketing *hubspotsync.MarketingService
	// History is the run history behind the organizer's Sync activity page.
	History *datasync.History
	// WritePlans is an order's dry run: what syncing it now would send.
	WritePlans WritePlanner
	// Alerts holds where alerts go (app settings) and sends the tests.
	Alerts *alerts.Service
}

// WritePlanner computes an order's write plan (*hubspotsync.Provider).
type WritePlanner interface {
	WritePlan(ctx context.Context, eventID, orderID int64) (*hubspotsync.WritePlan, error)
}

// New builds the Echo server with every route.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// We listen on loopback or behind a proxy we do not know: never trust
	// X-Forwarded-For for the login throttle.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.Use(middleware.Recover())
	e.Use(requestLogger(d.Logger))
	e.Use(securityHeaders)
	e.Use(hostCheck(d.Config.Hosts()))
	e.Use(originCheck(d.Config.Hosts()))
	registerRoutes(e, d)
	return e
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// healthCheck answers /healthz: ok while the database takes writes. Anyone
// may ask, so the probe runs at most once a second and the rest share its
// answer.
type healthCheck struct {
	probe func(ctx context.Context, now time.Time) error
	clock clockwork.Clock
	log   *slog.Logger

	mu      sync.Mutex
	checked time.Time
	err     error
}

func (h *healthCheck) serve(c echo.Context) error {
	h.mu.Lock()
	now := h.clock.Now()
	if h.checked.IsZero() || now.Sub(h.checked) >= time.Second {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		err := h.probe(ctx, now)
		cancel()
		if err != nil && h.err == nil {
			h.log.Error("the database cannot be written", "err", err)
		}
		h.checked, h.err = now, err
	}
	err := h.err
	h.mu.Unlock()
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "error",
			"error": "The database cannot be written (is the disk full or read-only?). Syncs wait until it can; see the log for details."})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
