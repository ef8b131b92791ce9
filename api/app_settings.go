package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/hubspot"
)

// appSettingsHandler serves the admin settings of the HubSpot app used for
// "Request access". The client secret goes in, never out.
type appSettingsHandler struct {
	hs *hubspot.Service
}

func (h *appSettingsHandler) getHubSpot(c echo.Context) error {
	a, err := h.hs.AppSettings(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: a})
}

type hubSpotAppInput struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"` // empty keeps the stored secret
}

func (h *appSettingsHandler) putHubSpot(c echo.Context) error {
	var in hubSpotAppInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	a, err := h.hs.SaveAppSettings(c.Request().Context(), in.ClientID, in.ClientSecret)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: a})
}
