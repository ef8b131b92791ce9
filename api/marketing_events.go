package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/hubspotsync"
)

// marketingHandler serves the "Marketing event" section of an event's
// HubSpot page.
type marketingHandler struct {
	svc *hubspotsync.MarketingService
}

func (h *marketingHandler) get(c echo.Context) error {
	_, ev := eventOf(c)
	v, err := h.svc.Get(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: v})
}

func (h *marketingHandler) put(c echo.Context) error {
	_, ev := eventOf(c)
	var in hubspotsync.MarketingInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	v, err := h.svc.Save(c.Request().Context(), ev.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: v})
}
