package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// syncHandler serves an order's "Data transfer to external systems" box
// (state, Sync now, Retry now, Cancel) and the event dashboard's warning.
type syncHandler struct {
	pretix *pretix.Service
	status *datasync.Status
	enq    *datasync.Enqueuer
	plans  WritePlanner
}

// orderSync is the order box: per provider its job and synced records.
type orderSync struct {
	Providers []datasync.OrderProviderStatus `json:"providers"`
	// Queued is set after Sync now: what was queued, and for which
	// providers the jobs wait because the provider is disabled.
	Queued *datasync.SyncNowResult `json:"queued,omitempty"`
}

// order resolves :org, :event and :code to the stored order.
func (h *syncHandler) order(c echo.Context) (*models.PretixEvent, int64, error) {
	org, ev := eventOf(c)
	id, err := h.pretix.FindOrder(c.Request().Context(), org.ID, ev.Slug, c.Param("code"))
	if err != nil {
		return nil, 0, err
	}
	return ev, id, nil
}

func (h *syncHandler) respondOrder(c echo.Context, status int, orderID int64, queued *datasync.SyncNowResult) error {
	ps, err := h.status.OrderStatus(c.Request().Context(), orderID)
	if err != nil {
		return err
	}
	return c.JSON(status, envelope{Data: orderSync{Providers: ps, Queued: queued}})
}

// writePlan answers GET …/orders/:code/write-plan: what syncing the order
// now would send to HubSpot, with HubSpot's current values; a dry run that
// writes nothing.
func (h *syncHandler) writePlan(c echo.Context) error {
	ev, id, err := h.order(c)
	if err != nil {
		return err
	}
	plan, err := h.plans.WritePlan(c.Request().Context(), ev.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: plan})
}

// orderStatus answers GET …/orders/:code/sync.
func (h *syncHandler) orderStatus(c echo.Context) error {
	_, id, err := h.order(c)
	if err != nil {
		return err
	}
	return h.respondOrder(c, http.StatusOK, id, nil)
}

// syncNow answers POST …/orders/:code/sync: the order is queued for every
// provider of the event and the worker is woken (202: it runs within
// seconds, the box polls for the outcome).
func (h *syncHandler) syncNow(c echo.Context) error {
	ev, id, err := h.order(c)
	if err != nil {
		return err
	}
	res, err := h.enq.SyncNow(c.Request().Context(), ev.ID, []int64{id}, datasync.TriggerManual)
	if err != nil {
		return err
	}
	return h.respondOrder(c, http.StatusAccepted, id, res)
}

// retryOrder answers POST …/orders/:code/sync/retry ("Retry now").
func (h *syncHandler) retryOrder(c echo.Context) error {
	_, id, err := h.order(c)
	if err != nil {
		return err
	}
	if _, err := h.status.RetryIn(c.Request().Context(), datasync.JobScope{OrderID: id}, nil); err != nil {
		return err
	}
	return h.respondOrder(c, http.StatusAccepted, id, nil)
}

// cancelOrder answers POST …/orders/:code/sync/cancel ("Cancel").
func (h *syncHandler) cancelOrder(c echo.Context) error {
	_, id, err := h.order(c)
	if err != nil {
		return err
	}
	if _, err := h.status.CancelIn(c.Request().Context(), datasync.JobScope{OrderID: id}, nil); err != nil {
		return err
	}
	return h.respondOrder(c, http.StatusOK, id, nil)
}

// warning answers GET …/events/:event/sync-warning: whether the dashboard
// and the HubSpot page show the yellow "could not be synced" box.
func (h *syncHandler) warning(c echo.Context) error {
	_, ev := eventOf(c)
	has, err := h.status.HasProblems(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: map[string]bool{"has_problems": has}})
}

// summary answers GET …/events/:event/sync-summary: the dashboard's sync
// picture (queue now, last and next activity, per-day counts).
func (h *syncHandler) summary(c echo.Context) error {
	_, ev := eventOf(c)
	s, err := h.status.Summary(c.Request().Context(), ev.ID, ev.Location())
	return respondData(c, s, err)
}
