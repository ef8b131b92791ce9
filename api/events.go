package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// eventsHandler serves an organizer's events, the event frame's event and
// the event dashboard's figures.
type eventsHandler struct {
	db  *gorm.DB
	svc *pretix.Service
}

// eventJSON is a stored event with its plugins and organizer.
type eventJSON struct {
	pretix.EventView
	Organizer organizerRef           `json:"organizer"`
	Plugins   map[string]pluginState `json:"plugins"`
}

type organizerRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (h *eventsHandler) list(c echo.Context) error {
	org, err := lookupOrganizer(c, h.db)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	evs, err := h.svc.ListEvents(ctx, org.ID)
	if err != nil {
		return err
	}
	plugins, err := organizerPlugins(ctx, h.db, org.ID)
	if err != nil {
		return err
	}
	ref := organizerRef{Slug: org.Slug, Name: org.Name}
	out := make([]eventJSON, len(evs))
	for i, ev := range evs {
		p := plugins[ev.ID]
		if p == nil {
			p = map[string]pluginState{hubspot.ProviderName: {}}
		}
		out[i] = eventJSON{EventView: ev, Organizer: ref, Plugins: p}
	}
	return c.JSON(http.StatusOK, envelope{Data: out})
}

func (h *eventsHandler) get(c echo.Context) error {
	org, ev, err := lookupEvent(c, h.db)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	view, err := h.svc.EventView(ctx, ev)
	if err != nil {
		return err
	}
	plugins, err := eventPlugins(ctx, h.db, ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: eventJSON{EventView: *view, Organizer: organizerRef{Slug: org.Slug, Name: org.Name}, Plugins: plugins}})
}

// eventStatsJSON is the event dashboard's data: order counts by status and
// the organizer's pull state.
type eventStatsJSON struct {
	Orders   int               `json:"orders"`
	ByStatus map[string]int    `json:"by_status"` // n, p, e, c
	Pull     pretix.PullStatus `json:"pull"`
}

func (h *eventsHandler) stats(c echo.Context) error {
	org, ev, err := lookupEvent(c, h.db)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	counts, err := h.svc.OrderCounts(ctx, ev.ID)
	if err != nil {
		return err
	}
	out := eventStatsJSON{ByStatus: counts}
	for _, n := range counts {
		out.Orders += n
	}
	v, err := h.svc.Get(ctx, org.ID)
	if err != nil {
		return err
	}
	out.Pull = v.Pull
	return c.JSON(http.StatusOK, envelope{Data: out})
}

// organizerPlugins returns the plugins object of every event of an
// organizer that has provider rows, in one query.
func organizerPlugins(ctx context.Context, db *gorm.DB, orgID int64) (map[int64]map[string]pluginState, error) {
	var rows []models.EventProvider
	if err := db.WithContext(ctx).Where("event_id IN (SELECT id FROM pretix_events WHERE organizer_id = ?)", orgID).Find(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := map[int64]map[string]pluginState{}
	for _, r := range rows {
		if out[r.EventID] == nil {
			out[r.EventID] = map[string]pluginState{hubspot.ProviderName: {}}
		}
		out[r.EventID][r.Provider] = pluginState{Enabled: r.Enabled, ActivatedAt: r.ActivatedAt}
	}
	return out, nil
}
