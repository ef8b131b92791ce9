package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/pretix"
	"pretix-hubspot/pretixwire"
)

// organizersHandler serves the pretix connections: list, test, connect,
// edit, remove and Pull now. Organizers are addressed by their slug.
type organizersHandler struct {
	svc     *pretix.Service
	baseURL string // this app's public address, without a trailing slash
}

// organizerJSON is an organizer with the absolute webhook URL to paste into
// pretix and the action types to tick there.
type organizerJSON struct {
	*pretix.OrganizerView
	WebhookURL     string                 `json:"webhook_url"`
	WebhookActions []pretix.WebhookAction `json:"webhook_actions"`
}

func (h *organizersHandler) out(v *pretix.OrganizerView) organizerJSON {
	return organizerJSON{OrganizerView: v, WebhookURL: h.baseURL + v.WebhookPath, WebhookActions: pretix.WebhookActions}
}

// connectionJSON is what Test connection found out.
type connectionJSON struct {
	BaseURL            string               `json:"base_url"`
	Organizer          pretixwire.Organizer `json:"organizer"`
	Version            string               `json:"version"`
	Events             []pretixwire.Event   `json:"events"`
	CanViewOrders      bool                 `json:"can_view_orders"`
	CanReadSettings    bool                 `json:"can_read_settings"`
	OrganizerOrderList bool                 `json:"organizer_order_list"`
	Warnings           []string             `json:"warnings"`
}

func (h *organizersHandler) list(c echo.Context) error {
	views, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]organizerJSON, len(views))
	for i := range views {
		out[i] = h.out(&views[i])
	}
	return c.JSON(http.StatusOK, envelope{Data: out})
}

func (h *organizersHandler) get(c echo.Context) error {
	org := organizerOf(c)
	v, err := h.svc.Get(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: h.out(v)})
}

func (h *organizersHandler) create(c echo.Context) error {
	var in pretix.ConnectInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	v, err := h.svc.Create(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, envelope{Data: h.out(v)})
}

// test checks a new connection without saving anything.
func (h *organizersHandler) test(c echo.Context) error {
	var in pretix.ConnectInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	return h.respondTest(c, in, 0)
}

// testExisting checks a stored connection, optionally with a new URL or
// token (an empty token means the stored one).
func (h *organizersHandler) testExisting(c echo.Context) error {
	org := organizerOf(c)
	var in pretix.ConnectInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	in.Slug = org.Slug
	return h.respondTest(c, in, org.ID)
}

func (h *organizersHandler) respondTest(c echo.Context, in pretix.ConnectInput, id int64) error {
	info, err := h.svc.TestConnection(c.Request().Context(), in, id)
	if err != nil {
		return err
	}
	out := connectionJSON{BaseURL: strings.TrimSuffix(info.BaseURL, "api/v1/"), Organizer: info.Organizer, Version: info.Version,
		Events: info.Events, CanViewOrders: info.CanViewOrders, CanReadSettings: info.CanReadSettings,
		OrganizerOrderList: info.OrganizerOrderList, Warnings: info.Warnings}
	if out.Events == nil {
		out.Events = []pretixwire.Event{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return c.JSON(http.StatusOK, envelope{Data: out})
}

func (h *organizersHandler) update(c echo.Context) error {
	org := organizerOf(c)
	var in pretix.UpdateInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	v, err := h.svc.Update(c.Request().Context(), org.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: h.out(v)})
}

func (h *organizersHandler) remove(c echo.Context) error {
	org := organizerOf(c)
	counts, err := h.svc.Delete(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: counts})
}

type pullJSON struct {
	Started   bool          `json:"started"` // false: a pull was already running
	Organizer organizerJSON `json:"organizer"`
}

// pull starts a pull in the background; the page polls the organizer for
// its progress.
func (h *organizersHandler) pull(c echo.Context) error {
	org := organizerOf(c)
	ctx := c.Request().Context()
	started, err := h.svc.PullNow(ctx, org.ID)
	if err != nil {
		return err
	}
	v, err := h.svc.Get(ctx, org.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, envelope{Data: pullJSON{Started: started, Organizer: h.out(v)}})
}
