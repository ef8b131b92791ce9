package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/pretix"
)

// activityHandler serves the organizer's Sync activity page.
type activityHandler struct {
	history *datasync.History
	pretix  *pretix.Service
}

// get: ?event=<slug> (optional), ?days=14 (1–90).
func (h *activityHandler) get(c echo.Context) error {
	org := organizerOf(c)
	ctx := c.Request().Context()
	days := 14
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return apperr.Invalid("days_invalid", "days must be a whole number from 1 to 90.").WithField("days", "From 1 to 90.")
		}
		days = n
	}
	var eventID *int64
	if slug := c.QueryParam("event"); slug != "" {
		ev, err := h.pretix.FindEvent(ctx, org, slug)
		if err != nil {
			return err
		}
		eventID = &ev.ID
	}
	a, err := h.history.Activity(ctx, org.ID, eventID, days)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: a})
}
