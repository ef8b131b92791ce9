package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspotsync/mapping"
)

// catalogueHandler serves an event's pretix field catalogue to the mapping
// editor's field picker.
type catalogueHandler struct {
	svc *mapping.Service
}

// get answers GET …/catalogue?object_type=Order|OrderPosition (default Order).
func (h *catalogueHandler) get(c echo.Context) error {
	_, ev := eventOf(c)
	ot := fields.ObjectType(c.QueryParam("object_type"))
	if ot == "" {
		ot = fields.ObjectOrder
	}
	cat, err := h.svc.Catalogue(c.Request().Context(), ev.ID, ot)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: cat})
}
