package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
)

// pluginsHandler serves an event's Plugins page: which sync providers exist
// and whether each is enabled.
type pluginsHandler struct {
	providers *datasync.Providers
}

func (h *pluginsHandler) list(c echo.Context) error {
	_, ev := eventOf(c)
	ps, err := h.providers.Plugins(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: ps})
}

type pluginInput struct {
	Enabled *bool            `json:"enabled"`
	Resync  *datasync.Resync `json:"resync"`
}

func (h *pluginsHandler) set(c echo.Context) error {
	_, ev := eventOf(c)
	var in pluginInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	ctx := c.Request().Context()
	switch {
	case in.Enabled == nil && in.Resync == nil:
		return apperr.Invalid("plugin_enabled_missing", `Say whether the plugin is enabled: {"enabled": true} or {"enabled": false}.`).
			WithField("enabled", "Required.")
	case in.Enabled != nil && in.Resync != nil:
		return apperr.Invalid("plugin_one_change", `Change one thing at a time: {"enabled": …} or {"resync": {"paid": …, "changed": …, "canceled": …}}.`)
	case in.Resync != nil:
		p, err := h.providers.SetResync(ctx, ev.ID, c.Param("plugin"), *in.Resync)
		return respondData(c, p, err)
	}
	p, err := h.providers.SetEnabled(ctx, ev.ID, c.Param("plugin"), *in.Enabled)
	return respondData(c, p, err)
}
