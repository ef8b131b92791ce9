package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/datasync/mapping"
)

// catalogueHandler serves an event's pretix field catalogue to the mapping
// editor's field picker.
type catalogueHandler struct {
	db  *gorm.DB
	svc *mapping.Service
}

// get answers GET …/catalogue?object_type=Order|OrderPosition (default Order).
func (h *catalogueHandler) get(c echo.Context) error {
	_, ev, err := lookupEvent(c, h.db)
	if err != nil {
		return err
	}
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
