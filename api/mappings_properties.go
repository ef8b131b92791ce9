package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// properties answers GET …/hubspot/properties/:type[?refresh=1]: the
// connected portal's property definitions for the HubSpot field picker.
func (h *mappingsHandler) properties(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	refresh := c.QueryParam("refresh") != "" && c.QueryParam("refresh") != "0"
	list, err := h.svc.Properties(c.Request().Context(), ev.ID, c.Param("type"), refresh)
	return respondData(c, list, err)
}

type uniquePropertyInput struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// createUniqueProperty answers POST …/hubspot/properties/:type/unique: the
// editor's Create unique property for a deal or company identifier.
func (h *mappingsHandler) createUniqueProperty(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in uniquePropertyInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	p, err := h.svc.CreateUniqueProperty(c.Request().Context(), ev.ID, c.Param("type"), in.Name, in.Label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, envelope{Data: p})
}
