package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/pretix"
)

// ordersHandler serves an event's orders list and the order page.
type ordersHandler struct {
	svc    *pretix.Service
	status *datasync.Status
}

// orderListPage is a page of the orders list with each order's sync state
// (by order id; orders never synced are absent).
type orderListPage struct {
	*pretix.OrderList
	Sync map[int64]datasync.OrderSyncState `json:"sync"`
}

// list answers GET …/orders?search=&status=p,n&page=&page_size=. status may
// also be repeated (status=p&status=n).
func (h *ordersHandler) list(c echo.Context) error {
	org, ev := eventOf(c)
	q := pretix.OrderListQuery{OrganizerID: org.ID, EventID: ev.ID, Search: c.QueryParam("search")}
	var err error
	for _, v := range c.QueryParams()["status"] {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				q.Status = append(q.Status, st)
			}
		}
	}
	if q.Page, err = intParam(c, "page"); err != nil {
		return err
	}
	if q.PageSize, err = intParam(c, "page_size"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := h.svc.ListOrders(ctx, q)
	if err != nil {
		return err
	}
	ids := make([]int64, len(l.Orders))
	for i, o := range l.Orders {
		ids[i] = o.ID
	}
	states, err := h.status.OrderStates(ctx, ids)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: orderListPage{OrderList: l, Sync: states}})
}

func (h *ordersHandler) get(c echo.Context) error {
	org, ev := eventOf(c)
	ctx := c.Request().Context()
	id, err := h.svc.FindOrder(ctx, org.ID, ev.Slug, c.Param("code"))
	if err != nil {
		return err
	}
	d, err := h.svc.GetOrder(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: d})
}

// maxQueryInt bounds paging parameters: page × page size must not
// overflow into a negative offset (which would answer the first page).
const maxQueryInt = 1_000_000

// intParam reads an optional whole-number query parameter from 0 to
// maxQueryInt (0 when absent).
func intParam(c echo.Context, name string) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxQueryInt {
		return 0, apperr.Invalid("query_param_invalid", fmt.Sprintf("The parameter \u201c%s\u201d must be a whole number from 0 to %d.", name, maxQueryInt)).
			WithField(name, fmt.Sprintf("A whole number from 0 to %d.", maxQueryInt))
	}
	return n, nil
}
