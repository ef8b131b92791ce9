package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
)

// syncProblemsHandler serves the "Sync problems" pages of an event and of an
// organizer (Export → Data sync problems) with Retry selected and Cancel
// selected.
type syncProblemsHandler struct {
	status *datasync.Status
}

// problemsPage is a page of problems with the counts of the whole selection.
type problemsPage struct {
	*datasync.ProblemList
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// jobIDs is the body of Retry selected and Cancel selected, or of "Retry
// these N" (a cause and its mode from the page's most frequent causes).
type jobIDs struct {
	IDs   []int64 `json:"ids"`
	Cause string  `json:"cause"`
	Mode  string  `json:"mode"`
}

var problemModes = map[string]bool{"": true, datasync.ModeRetrying: true, models.FailureExceeded: true,
	models.FailurePermanent: true, models.FailureConfig: true, models.FailureInternal: true}

// query reads ?mode=&provider=&page=&page_size= (100 per page, as pretix).
func problemQuery(c echo.Context) (datasync.ProblemQuery, int, int, error) {
	q := datasync.ProblemQuery{Mode: c.QueryParam("mode"), Provider: c.QueryParam("provider")}
	if !problemModes[q.Mode] {
		return q, 0, 0, apperr.Invalid("sync_problem_mode_invalid",
			"Unknown failure mode \u201c"+q.Mode+"\u201d; use retrying, exceeded, permanent, config or internal.").
			WithField("mode", "Unknown failure mode.")
	}
	page, err := intParam(c, "page")
	if err != nil {
		return q, 0, 0, err
	}
	size, err := intParam(c, "page_size")
	if err != nil {
		return q, 0, 0, err
	}
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = 100
	}
	if page < 1 || size < 1 || size > 1000 {
		return q, 0, 0, apperr.Invalid("sync_problem_page_invalid", "The page must be 1 or more and the page size between 1 and 1000.").
			WithField("page", "Page 1 or more, size 1 to 1000.")
	}
	q.Limit, q.Offset = size, (page-1)*size
	return q, page, size, nil
}

func (h *syncProblemsHandler) list(c echo.Context, scope datasync.ProblemQuery) error {
	q, page, size, err := problemQuery(c)
	if err != nil {
		return err
	}
	q.EventID, q.OrganizerID = scope.EventID, scope.OrganizerID
	l, err := h.status.Problems(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: problemsPage{ProblemList: l, Page: page, PageSize: size}})
}

func (h *syncProblemsHandler) act(c echo.Context, scope datasync.JobScope, retry bool) error {
	var body jobIDs
	if err := c.Bind(&body); err != nil {
		return badJSON()
	}
	ctx := c.Request().Context()
	var res *datasync.ActionResult
	var err error
	switch {
	case body.Cause != "" && retry:
		if !problemModes[body.Mode] || body.Mode == "" {
			return apperr.Invalid("sync_problem_mode_invalid", "Name the failure mode of the cause to retry.").WithField("mode", "Unknown failure mode.")
		}
		res, err = h.status.RetryCause(ctx, scope, body.Mode, body.Cause)
	case retry:
		res, err = h.status.RetryIn(ctx, scope, body.IDs)
	default:
		res, err = h.status.CancelIn(ctx, scope, body.IDs)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: res})
}

func (h *syncProblemsHandler) eventScope(c echo.Context) (int64, error) {
	_, ev := eventOf(c)
	return ev.ID, nil
}

func (h *syncProblemsHandler) organizerScope(c echo.Context) (int64, error) {
	return organizerOf(c).ID, nil
}

// eventList answers GET …/events/:event/sync-problems.
func (h *syncProblemsHandler) eventList(c echo.Context) error {
	id, err := h.eventScope(c)
	if err != nil {
		return err
	}
	return h.list(c, datasync.ProblemQuery{EventID: id})
}

// eventRetry answers POST …/events/:event/sync-problems/retry {ids}.
func (h *syncProblemsHandler) eventRetry(c echo.Context) error {
	id, err := h.eventScope(c)
	if err != nil {
		return err
	}
	return h.act(c, datasync.JobScope{EventID: id}, true)
}

// eventCancel answers POST …/events/:event/sync-problems/cancel {ids}.
func (h *syncProblemsHandler) eventCancel(c echo.Context) error {
	id, err := h.eventScope(c)
	if err != nil {
		return err
	}
	return h.act(c, datasync.JobScope{EventID: id}, false)
}

// organizerList answers GET /organizers/:org/sync-problems: every event of
// the organizer where a provider is enabled.
func (h *syncProblemsHandler) organizerList(c echo.Context) error {
	id, err := h.organizerScope(c)
	if err != nil {
		return err
	}
	return h.list(c, datasync.ProblemQuery{OrganizerID: id})
}

// organizerRetry answers POST /organizers/:org/sync-problems/retry {ids}.
func (h *syncProblemsHandler) organizerRetry(c echo.Context) error {
	id, err := h.organizerScope(c)
	if err != nil {
		return err
	}
	return h.act(c, datasync.JobScope{OrganizerID: id}, true)
}

// organizerCancel answers POST /organizers/:org/sync-problems/cancel {ids}.
func (h *syncProblemsHandler) organizerCancel(c echo.Context) error {
	id, err := h.organizerScope(c)
	if err != nil {
		return err
	}
	return h.act(c, datasync.JobScope{OrganizerID: id}, false)
}
