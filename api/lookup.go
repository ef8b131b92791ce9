package api

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// lookupOrganizer resolves the :org path parameter (the organizer slug).
// Two connected pretix servers may both have an organizer with that slug;
// the first connected one wins, as it did before the second was added.
func lookupOrganizer(c echo.Context, db *gorm.DB) (*models.PretixOrganizer, error) {
	slug := c.Param("org")
	var org models.PretixOrganizer
	err := db.WithContext(c.Request().Context()).Where("slug = ?", slug).Order("id").Take(&org).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("organizer_not_found",
			fmt.Sprintf("There is no connected pretix organizer %q. Check the address, or connect the organizer first.", slug))
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return &org, nil
}

// lookupEvent resolves the :org and :event path parameters (slugs).
func lookupEvent(c echo.Context, db *gorm.DB) (*models.PretixOrganizer, *models.PretixEvent, error) {
	org, err := lookupOrganizer(c, db)
	if err != nil {
		return nil, nil, err
	}
	slug := c.Param("event")
	var ev models.PretixEvent
	err = db.WithContext(c.Request().Context()).Where("organizer_id = ? AND slug = ?", org.ID, slug).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, apperr.NotFound("event_not_found",
			fmt.Sprintf("Organizer %q has no event %q here. If it is new in pretix, refresh the organizer's events.", org.Slug, slug))
	}
	if err != nil {
		return nil, nil, apperr.Internal(err)
	}
	return org, &ev, nil
}
