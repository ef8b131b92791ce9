package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// pluginsHandler serves an event's Plugins page: which sync providers exist
// and whether each is enabled. HubSpot is the only provider so far.
type pluginsHandler struct {
	db *gorm.DB
	hs *hubspot.Service
}

func (h *pluginsHandler) list(c echo.Context) error {
	_, ev, err := lookupEvent(c, h.db)
	if err != nil {
		return err
	}
	p, err := h.hs.Plugin(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: []*hubspot.Plugin{p}})
}

type pluginInput struct {
	Enabled *bool `json:"enabled"`
}

func (h *pluginsHandler) set(c echo.Context) error {
	_, ev, err := lookupEvent(c, h.db)
	if err != nil {
		return err
	}
	if c.Param("plugin") != hubspot.ProviderName {
		return apperr.NotFound("plugin_not_found", "There is no plugin "+c.Param("plugin")+". Available: hubspot.")
	}
	var in pluginInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	if in.Enabled == nil {
		return apperr.Invalid("plugin_enabled_missing", `Say whether the plugin is enabled: {"enabled": true} or {"enabled": false}.`).
			WithField("enabled", "Required.")
	}
	p, err := h.hs.SetPluginEnabled(c.Request().Context(), ev.ID, *in.Enabled)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: p})
}

// pluginState is one entry of an event's "plugins" object, which the event
// frame uses to show the provider's settings entry.
type pluginState struct {
	Enabled     bool       `json:"enabled"`
	ActivatedAt *time.Time `json:"activated_at"` // orders placed after it are queued automatically
}

// eventPlugins returns the "plugins" object of an event's JSON, e.g.
// {"hubspot": {"enabled": true}}; every known provider is present.
func eventPlugins(ctx context.Context, db *gorm.DB, eventID int64) (map[string]pluginState, error) {
	var rows []models.EventProvider
	if err := db.WithContext(ctx).Where("event_id = ?", eventID).Find(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := map[string]pluginState{hubspot.ProviderName: {}}
	for _, r := range rows {
		out[r.Provider] = pluginState{Enabled: r.Enabled, ActivatedAt: r.ActivatedAt}
	}
	return out, nil
}
