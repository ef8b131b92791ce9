package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/datasync"
	"pretix-hubspot/pretix"
)

// eventsHandler serves an organizer's events, the event frame's event and
// the event dashboard's figures.
type eventsHandler struct {
	svc       *pretix.Service
	providers *datasync.Providers
}

// eventJSON is a stored event with its plugins and organizer.
type eventJSON struct {
	pretix.EventView
	Organizer organizerRef                    `json:"organizer"`
	Plugins   map[string]datasync.PluginState `json:"plugins"`
}

type organizerRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (h *eventsHandler) list(c echo.Context) error {
	org := organizerOf(c)
	ctx := c.Request().Context()
	evs, err := h.svc.ListEvents(ctx, org.ID)
	if err != nil {
		return err
	}
	plugins, err := h.providers.OrganizerStates(ctx, org.ID)
	if err != nil {
		return err
	}
	ref := organizerRef{Slug: org.Slug, Name: org.Name}
	out := make([]eventJSON, len(evs))
	for i, ev := range evs {
		p := plugins[ev.ID]
		if p == nil {
			p = h.providers.Blank()
		}
		out[i] = eventJSON{EventView: ev, Organizer: ref, Plugins: p}
	}
	return c.JSON(http.StatusOK, envelope{Data: out})
}

func (h *eventsHandler) get(c echo.Context) error {
	org, ev := eventOf(c)
	ctx := c.Request().Context()
	view, err := h.svc.EventView(ctx, ev)
	if err != nil {
		return err
	}
	plugins, err := h.providers.EventStates(ctx, ev.ID)
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
	org, ev := eventOf(c)
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
