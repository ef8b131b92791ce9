package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
)

// syncBulkHandler serves the orders list's "Sync orders…" action: start a
// run, follow its progress (also after a reload) and cancel it.
type syncBulkHandler struct {
	bulk *datasync.Bulk
}

// start answers POST …/events/:event/sync-bulk with {order_ids} or
// {all: true, status, search}; 202 with the run's progress.
func (h *syncBulkHandler) start(c echo.Context) error {
	in, err := bindBulk(c)
	if err != nil {
		return err
	}
	p, err := h.bulk.Start(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, envelope{Data: p})
}

// estimate answers POST …/events/:event/sync-bulk/estimate with the body
// start takes: what the run would queue and cost; nothing is started.
func (h *syncBulkHandler) estimate(c echo.Context) error {
	in, err := bindBulk(c)
	if err != nil {
		return err
	}
	est, err := h.bulk.Estimate(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: est})
}

// bindBulk reads a run's selection for the route's event.
func bindBulk(c echo.Context) (datasync.BulkInput, error) {
	org, ev := eventOf(c)
	var in datasync.BulkInput
	if err := c.Bind(&in); err != nil {
		return in, badJSON()
	}
	in.OrganizerID, in.EventID = org.ID, ev.ID
	return in, nil
}

// current answers GET …/events/:event/sync-bulk/current: the running run,
// or null.
func (h *syncBulkHandler) current(c echo.Context) error {
	_, ev := eventOf(c)
	p, err := h.bulk.Current(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: p})
}

func (h *syncBulkHandler) run(c echo.Context) (int64, int64, error) {
	_, ev := eventOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, apperr.NotFound("sync_bulk_not_found", "This bulk sync does not exist for this event.")
	}
	return ev.ID, id, nil
}

// progress answers GET …/events/:event/sync-bulk/:id.
func (h *syncBulkHandler) progress(c echo.Context) error {
	ev, id, err := h.run(c)
	if err != nil {
		return err
	}
	p, err := h.bulk.Progress(c.Request().Context(), ev, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: p})
}

// cancel answers POST …/events/:event/sync-bulk/:id/cancel: jobs not yet
// started are removed.
func (h *syncBulkHandler) cancel(c echo.Context) error {
	ev, id, err := h.run(c)
	if err != nil {
		return err
	}
	p, err := h.bulk.Cancel(c.Request().Context(), ev, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: p})
}
