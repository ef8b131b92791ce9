package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/alerts"
)

// alertsHandler serves the app settings' Alerts section: where alerts go,
// and "Send a test". The SMTP password goes in, never out.
type alertsHandler struct {
	svc *alerts.Service
}

func (h *alertsHandler) get(c echo.Context) error {
	st, err := h.svc.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: st})
}

func (h *alertsHandler) put(c echo.Context) error {
	var in alerts.Input
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	st, err := h.svc.Save(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: st})
}

// test answers POST /api/settings/alerts/test {"channel": "email"|"webhook"}.
func (h *alertsHandler) test(c echo.Context) error {
	var in struct {
		Channel string `json:"channel"`
	}
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	if err := h.svc.SendTest(c.Request().Context(), in.Channel); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: map[string]string{"message": "The test alert was sent. Check that it arrived."}})
}
