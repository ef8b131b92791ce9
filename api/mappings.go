package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/hubspotsync/mapping"
	"pretix-hubspot/models"
)

// mappingsHandler serves an event's object mappings and their editor: CRUD,
// order, suggestion, export/import/copy, value maps and the preview.
type mappingsHandler struct {
	svc       *mapping.Service
	providers *datasync.Providers
}

func (h *mappingsHandler) event(c echo.Context) (*models.PretixEvent, error) {
	_, ev := eventOf(c)
	return ev, nil
}

func mappingID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound("mapping_not_found", fmt.Sprintf("%q is not a mapping id.", c.Param("id")))
	}
	return id, nil
}

// eventAndID resolves the event and the :id parameter.
func (h *mappingsHandler) eventAndID(c echo.Context) (*models.PretixEvent, int64, error) {
	ev, err := h.event(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := mappingID(c)
	return ev, id, err
}

func respondData(c echo.Context, v any, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: v})
}

func (h *mappingsHandler) list(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	list, err := h.svc.List(c.Request().Context(), ev.ID)
	return respondData(c, list, err)
}

func (h *mappingsHandler) create(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in mapping.CreateInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	m, err := h.svc.Create(c.Request().Context(), ev.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, envelope{Data: m})
}

func (h *mappingsHandler) get(c echo.Context) error {
	ev, id, err := h.eventAndID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.Get(c.Request().Context(), ev.ID, id)
	return respondData(c, m, err)
}

func (h *mappingsHandler) update(c echo.Context) error {
	ev, id, err := h.eventAndID(c)
	if err != nil {
		return err
	}
	var in mapping.UpdateInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	m, err := h.svc.Update(c.Request().Context(), ev.ID, id, in)
	return respondData(c, m, err)
}

// check validates the editor's unsaved table: problems and warnings, no save.
func (h *mappingsHandler) check(c echo.Context) error {
	ev, id, err := h.eventAndID(c)
	if err != nil {
		return err
	}
	var in mapping.UpdateInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	m, err := h.svc.Check(c.Request().Context(), ev.ID, id, in)
	return respondData(c, m, err)
}

func (h *mappingsHandler) remove(c echo.Context) error {
	ev, id, err := h.eventAndID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), ev.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type reorderInput struct {
	IDs []int64 `json:"ids"`
}

func (h *mappingsHandler) reorder(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in reorderInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	list, err := h.svc.Reorder(c.Request().Context(), ev.ID, in.IDs)
	return respondData(c, list, err)
}

func (h *mappingsHandler) suggestion(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	s, err := h.svc.Suggest(c.Request().Context(), ev.ID)
	return respondData(c, s, err)
}

func (h *mappingsHandler) acceptSuggestion(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	m, err := h.svc.AcceptSuggestion(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, envelope{Data: m})
}

// export answers with the mappings document; ?download=1 sends it as a file.
func (h *mappingsHandler) export(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	doc, err := h.svc.Export(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	if c.QueryParam("download") != "" {
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-hubspot-mappings.json"`, safeFileName(ev.Slug)))
		return c.JSONPretty(http.StatusOK, doc, "  ")
	}
	return c.JSON(http.StatusOK, envelope{Data: doc})
}

func safeFileName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

type importInput struct {
	Data    *mapping.Export `json:"data"`
	Replace bool            `json:"replace"`
}

func (h *mappingsHandler) importDoc(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in importInput
	if err := c.Bind(&in); err != nil {
		return apperr.Invalid("bad_json", "The file is not a valid mapping export (not JSON, or fields of the wrong type).").WithField("data", "Not a mapping export.")
	}
	list, err := h.svc.Import(c.Request().Context(), ev.ID, in.Data, in.Replace)
	return respondData(c, list, err)
}

type copyInput struct {
	FromEventID int64 `json:"from_event_id"`
	Replace     bool  `json:"replace"`
}

func (h *mappingsHandler) copyFrom(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in copyInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	if in.FromEventID == 0 {
		return apperr.Invalid("copy_source_missing", "Choose the event to copy the mappings from.").WithField("from_event_id", "Required.")
	}
	list, err := h.svc.Copy(c.Request().Context(), ev.ID, in.FromEventID, in.Replace)
	return respondData(c, list, err)
}

func (h *mappingsHandler) copySources(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	list, err := h.svc.CopySources(c.Request().Context(), ev.ID)
	return respondData(c, list, err)
}

func (h *mappingsHandler) valueMap(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in mapping.ValueMapInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	d, err := h.svc.ValueMap(c.Request().Context(), ev.ID, in)
	return respondData(c, d, err)
}

func (h *mappingsHandler) preview(c echo.Context) error {
	ev, id, err := h.eventAndID(c)
	if err != nil {
		return err
	}
	var in mapping.PreviewInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	p, err := h.svc.Preview(c.Request().Context(), ev.ID, id, in)
	return respondData(c, p, err)
}

// previewOrders answers GET …/mappings/preview-orders?q=… for the order picker.
func (h *mappingsHandler) previewOrders(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	list, err := h.svc.PreviewOrders(c.Request().Context(), ev.ID, c.QueryParam("q"), 20)
	return respondData(c, list, err)
}

func (h *mappingsHandler) dealSuggestion(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	s, err := h.svc.SuggestDeals(c.Request().Context(), ev.ID)
	return respondData(c, s, err)
}

// acceptDealSuggestion creates the suggested deal (and line item) mappings
// and, when asked, turns on keeping the deals up to date.
func (h *mappingsHandler) acceptDealSuggestion(c echo.Context) error {
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	var in mapping.DealSuggestionInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	ctx := c.Request().Context()
	list, err := h.svc.AcceptDeals(ctx, ev.ID, in)
	if err != nil {
		return err
	}
	if in.KeepUpToDate {
		if _, err := h.providers.SetResync(ctx, ev.ID, hubspotsync.ProviderName, datasync.Resync{Paid: true, Changed: true, Canceled: true}); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, envelope{Data: list})
}
