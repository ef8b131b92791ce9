package api

import (
	"github.com/labstack/echo/v4"

	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// Context keys of the resolved path parameters.
const (
	ctxOrganizer = "ph.organizer"
	ctxEvent     = "ph.event"
)

// resolveOrganizer resolves the :org path parameter (the organizer slug)
// once per request, for every route of its group.
func resolveOrganizer(px *pretix.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			org, err := px.FindOrganizer(c.Request().Context(), c.Param("org"))
			if err != nil {
				return err
			}
			c.Set(ctxOrganizer, org)
			return next(c)
		}
	}
}

// resolveEvent resolves the :event path parameter within the organizer
// resolveOrganizer found.
func resolveEvent(px *pretix.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ev, err := px.FindEvent(c.Request().Context(), organizerOf(c), c.Param("event"))
			if err != nil {
				return err
			}
			c.Set(ctxEvent, ev)
			return next(c)
		}
	}
}

// organizerOf is the organizer of a route under /organizers/:org.
func organizerOf(c echo.Context) *models.PretixOrganizer {
	return c.Get(ctxOrganizer).(*models.PretixOrganizer)
}

// eventOf is the organizer and event of a route under
// /organizers/:org/events/:event.
func eventOf(c echo.Context) (*models.PretixOrganizer, *models.PretixEvent) {
	return organizerOf(c), c.Get(ctxEvent).(*models.PretixEvent)
}
