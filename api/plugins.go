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
	Enabled *bool `json:"enabled"`
}

func (h *pluginsHandler) set(c echo.Context) error {
	_, ev := eventOf(c)
	var in pluginInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	if in.Enabled == nil {
		return apperr.Invalid("plugin_enabled_missing", `Say whether the plugin is enabled: {"enabled": true} or {"enabled": false}.`).
			WithField("enabled", "Required.")
	}
	p, err := h.providers.SetEnabled(c.Request().Context(), ev.ID, c.Param("plugin"), *in.Enabled)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: p})
}
