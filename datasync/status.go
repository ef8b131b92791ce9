package datasync

import (
	"context"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// Failure mode labels, exactly as pretix shows them.
var failureLabels = map[string]string{
	models.FailureExceeded:  "Temporary error, auto-retry limit exceeded",
	models.FailurePermanent: "Provider reported a permanent error",
	models.FailureConfig:    "Misconfiguration, please check provider settings",
	models.FailureInternal:  "System error, needs manual intervention",
}

// FailureLabel returns the label of a failure mode ("" for none).
func FailureLabel(mode string) string { return failureLabels[mode] }

// Job view states: "waiting" is a pending job whose time lies ahead.
const (
	StatePending  = "pending"
	StateWaiting  = "waiting"
	StateInFlight = "in_flight"
	StateFailed   = "failed"
)

// ModeRetrying groups problems that are still retried automatically
// (pending jobs whose last attempt failed).
const ModeRetrying = "retrying"

// Status is the read side of the engine for the screens: an order's sync
// state, the problems lists, the dashboard flag, and Retry/Cancel.
type Status struct {
	db      *gorm.DB
	q       *Queue
	clock   clockwork.Clock
	names   map[string]string
	poke    func()
	policy  RetryPolicy
	refresh Refresher // nil: retry with the stored copy
}

// NewStatus returns the status service; providers give display names, poke
// (may be nil) wakes the worker after Retry.
func NewStatus(db *gorm.DB, q *Queue, clock clockwork.Clock, providers []Provider, poke func()) *Status {
	names := map[string]string{}
	for _, p := range providers {
		names[p.Name()] = p.DisplayName()
	}
	if poke == nil {
		poke = func() {}
	}
	return &Status{db: db, q: q, clock: clock, names: names, poke: poke, policy: q.Policy()}
}

func (s *Status) displayName(provider string) string {
	if n := s.names[provider]; n != "" {
		return n
	}
	return provider
}

// JobView is a sync job as the order box and the problems pages show it.
type JobView struct {
	ID           int64     `json:"id"`
	OrderID      int64     `json:"order_id"`
	EventID      int64     `json:"event_id"`
	Provider     string    `json:"provider"`
	DisplayName  string    `json:"display_name"`
	State        string    `json:"state"`        // pending, waiting, in_flight, failed
	NotBefore    time.Time `json:"not_before"`   // "Waiting until …" when waiting
	Attempts     int       `json:"attempts"`     // failed attempts so far ("Retry n of m": n)
	MaxAttempts  int       `json:"max_attempts"` // m
	FailureMode  string    `json:"failure_mode"`
	FailureLabel string    `json:"failure_label"`
	// Label is the one-line state: the failure label, "Error. Retry n of
	// m." while retrying, "" otherwise.
	Label       string    `json:"label"`
	Error       string    `json:"error"`      // the provider's message
	ErrorJSON   string    `json:"error_json"` // structured details (status, category, correlation id)
	WaitReason  string    `json:"wait_reason"`
	WaitCode    string    `json:"wait_code"` // "setup" while the event's setup is unfinished
	TriggeredAt time.Time `json:"triggered_at"`
	TriggeredBy string    `json:"triggered_by"`
	Rerun       bool      `json:"rerun"`
	UpdatedAt   time.Time `json:"updated_at"`
	// InFlightSince is when a running job was claimed ("In flight since …").
	InFlightSince *time.Time `json:"in_flight_since,omitempty"`
}

func (s *Status) view(j *models.SyncJob, now time.Time) JobView {
	v := JobView{ID: j.ID, OrderID: j.OrderID, EventID: j.EventID, Provider: j.Provider, DisplayName: s.displayName(j.Provider),
		State: j.State, NotBefore: j.NotBefore.UTC(), Attempts: j.Attempts, MaxAttempts: s.policy.MaxAttempts,
		FailureMode: j.FailureMode, FailureLabel: FailureLabel(j.FailureMode), Error: pretixwire.DisplayEmails(j.LastError), ErrorJSON: j.LastErrorJSON,
		WaitReason: j.WaitReason, WaitCode: j.WaitCode, TriggeredAt: j.TriggeredAt.UTC(), TriggeredBy: j.TriggeredBy, Rerun: j.Rerun, UpdatedAt: j.UpdatedAt.UTC()}
	switch {
	case j.State == models.JobFailed:
		v.State, v.Label = StateFailed, v.FailureLabel
	case j.State == models.JobInFlight:
		v.State = StateInFlight
		if j.LeasedAt != nil {
			t := j.LeasedAt.UTC()
			v.InFlightSince = &t
		}
	case j.NotBefore.After(now):
		v.State = StateWaiting
	default:
		v.State = StatePending
	}
	if j.State == models.JobPending && j.Attempts > 0 && j.LastError != "" {
		v.Label = fmt.Sprintf("Error. Retry %d of %d.", j.Attempts, s.policy.MaxAttempts)
	}
	return v
}

// ResultView is one external object an order was synced to.
type ResultView struct {
	MappingID     int64     `json:"mapping_id"`
	PositionID    *int64    `json:"position_id,omitempty"`
	ObjectType    string    `json:"object_type"`
	IDProperty    string    `json:"id_property"`
	IDValue       string    `json:"id_value"`
	ExternalID    string    `json:"external_id"`
	Link          string    `json:"link"`
	Action        string    `json:"action"` // created, updated, nothing_to_do, skipped, archived, left_deal
	TransmittedAt time.Time `json:"transmitted_at"`
}

// OrderProviderStatus is one provider's part of the order box.
type OrderProviderStatus struct {
	Provider    string       `json:"provider"`
	DisplayName string       `json:"display_name"`
	Enabled     bool         `json:"enabled"`
	Job         *JobView     `json:"job"` // nil: no job (offer "Sync now")
	Results     []ResultView `json:"results"`
}

// OrderStatus returns, per provider set up for the order's event (or with
// a job or results for the order), the job and the synced objects.
func (s *Status) OrderStatus(ctx context.Context, orderID int64) ([]OrderProviderStatus, error) {
	var o models.PretixOrder
	if err := s.db.WithContext(ctx).Select("id, event_id").Take(&o, orderID).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return nil, apperr.NotFound("order_not_found", "This order does not exist (any more).")
		}
		return nil, apperr.Internal(err)
	}
	var eps []models.EventProvider
	var jobs []models.SyncJob
	var results []models.SyncResult
	db := s.db.WithContext(ctx)
	if err := db.Where("event_id = ?", o.EventID).Order("provider").Find(&eps).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if err := db.Where("order_id = ?", orderID).Find(&jobs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if err := db.Where("order_id = ?", orderID).Order("mapping_id, position_id").Find(&results).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	var out []OrderProviderStatus
	idx := map[string]int{}
	add := func(provider string, enabled bool) *OrderProviderStatus {
		if i, ok := idx[provider]; ok {
			return &out[i]
		}
		idx[provider] = len(out)
		out = append(out, OrderProviderStatus{Provider: provider, DisplayName: s.displayName(provider), Enabled: enabled, Results: []ResultView{}})
		return &out[len(out)-1]
	}
	for _, ep := range eps {
		add(ep.Provider, ep.Enabled)
	}
	now := s.clock.Now()
	for i := range jobs {
		v := s.view(&jobs[i], now)
		add(jobs[i].Provider, false).Job = &v
	}
	for _, r := range results {
		p := add(r.Provider, false)
		p.Results = append(p.Results, ResultView{MappingID: r.MappingID, PositionID: r.PositionID, ObjectType: r.ObjectType,
			IDProperty: r.IDProperty, IDValue: pretixwire.DisplayEmails(r.IDValue), ExternalID: r.ExternalID, Link: r.ExternalLink, Action: r.Action,
			TransmittedAt: r.TransmittedAt.UTC()})
	}
	if out == nil {
		out = []OrderProviderStatus{}
	}
	return out, nil
}

// ProblemQuery selects problems: of one event, or of every event of an
// organizer where a provider is enabled.
type ProblemQuery struct {
	EventID     int64
	OrganizerID int64
	Provider    string // "" for all
	Mode        string // a failure mode, ModeRetrying, or "" for all
	Limit       int    // default 100, at most 1000
	Offset      int
}

// Problem is one row of a "Sync problems" page.
type Problem struct {
	JobView
	OrderCode string `json:"order_code"`
	EventSlug string `json:"event_slug"`
}

// ProblemCount is the number of problems of one failure mode (or cause).
type ProblemCount struct {
	Mode  string `json:"mode"`
	Label string `json:"label"`
	Count int    `json:"count"`
	// For ByCause: the group's key (for "Retry these N"), one example
	// message and that example's structured error (what to fix where).
	Cause     string `json:"cause,omitempty"`
	Error     string `json:"error,omitempty"`
	ErrorJSON string `json:"error_json,omitempty"`
	EventSlug string `json:"event_slug,omitempty"` // the example's event
}

// ProblemList is a page of problems with the counts of the whole selection.
type ProblemList struct {
	Items   []Problem      `json:"items"`
	Total   int            `json:"total"`
	ByMode  []ProblemCount `json:"by_mode"`
	ByCause []ProblemCount `json:"by_cause"` // the most frequent causes, at most 10
}

// problemWhere is the definition of a problem: a failed job, or a pending
// job whose last attempt failed (still retried automatically).
// It is the condition of the partial index ix_sync_jobs_problems, word for
// word, so SQLite reads only the problem rows even behind a large backlog.
const problemWhere = "(state = 'failed' OR (state = 'pending' AND attempts > 0 AND last_error <> ''))"

// causeKey groups problems: the provider's cause, or its message when it
// gave none (jobs from before causes were kept).
const causeKey = "CASE WHEN sync_jobs.cause <> '' THEN sync_jobs.cause ELSE sync_jobs.last_error END"

func (s *Status) scope(ctx context.Context, q ProblemQuery, index string) (*gorm.DB, error) {
	// Without statistics SQLite may prefer the state index, which walks a
	// whole backlog; the partial indexes hold exactly the problem rows.
	db := s.db.WithContext(ctx).Table("sync_jobs INDEXED BY " + index).Where(problemWhere)
	switch {
	case q.EventID != 0:
		db = db.Where("sync_jobs.event_id = ?", q.EventID)
	case q.OrganizerID != 0:
		// Events of the organizer where a provider is enabled ("where the
		// plugin is active"), as a plain list so the event index is used.
		db = db.Where(`sync_jobs.event_id IN (SELECT ep.event_id FROM event_providers ep JOIN pretix_events e ON e.id = ep.event_id
			WHERE e.organizer_id = ? AND ep.enabled)`, q.OrganizerID)
	default:
		return nil, apperr.Internal(fmt.Errorf("datasync: problems without event or organizer"))
	}
	if q.Provider != "" {
		db = db.Where("sync_jobs.provider = ?", q.Provider)
	}
	return db, nil
}

// Problems lists sync problems, newest trigger first, with counts by
// failure mode and by message.
func (s *Status) Problems(ctx context.Context, q ProblemQuery) (*ProblemList, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	base, err := s.scope(ctx, q, "ix_sync_jobs_problem_causes")
	if err != nil {
		return nil, err
	}
	paged, err := s.scope(ctx, q, "ix_sync_jobs_problems")
	if err != nil {
		return nil, err
	}
	out := &ProblemList{Items: []Problem{}, ByMode: []ProblemCount{}, ByCause: []ProblemCount{}}
	var modes []struct {
		Mode  string
		Count int
	}
	if err := base.Session(&gorm.Session{}).Select("CASE WHEN sync_jobs.state = 'failed' THEN sync_jobs.failure_mode ELSE ? END AS mode, COUNT(*) AS count", ModeRetrying).
		Group("mode").Order("count DESC, mode").Scan(&modes).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	for _, m := range modes {
		if q.Mode == "" || q.Mode == m.Mode {
			out.Total += m.Count
		}
		out.ByMode = append(out.ByMode, ProblemCount{Mode: m.Mode, Label: s.modeLabel(m.Mode), Count: m.Count})
	}
	filtered := base.Session(&gorm.Session{})
	switch {
	case q.Mode == ModeRetrying:
		filtered = filtered.Where("sync_jobs.state = 'pending'")
		paged = paged.Where("sync_jobs.state = 'pending'")
	case q.Mode != "":
		filtered = filtered.Where("sync_jobs.state = 'failed' AND sync_jobs.failure_mode = ?", q.Mode)
		paged = paged.Where("sync_jobs.state = 'failed' AND sync_jobs.failure_mode = ?", q.Mode)
	}
	var causes []struct {
		Mode      string
		CauseKey  string
		LastError string
		Example   int64
		Count     int
	}
	if err := filtered.Session(&gorm.Session{}).Select("CASE WHEN sync_jobs.state = 'failed' THEN sync_jobs.failure_mode ELSE ? END AS mode, "+
		causeKey+" AS cause_key, MIN(sync_jobs.last_error) AS last_error, MIN(sync_jobs.id) AS example, COUNT(*) AS count", ModeRetrying).
		Group("mode, cause_key").Order("count DESC, mode, cause_key").Limit(10).Scan(&causes).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	type example struct {
		ID            int64
		LastErrorJSON string
		EventSlug     string
	}
	examples := map[int64]example{}
	if len(causes) > 0 {
		var ids []int64
		for _, c := range causes {
			ids = append(ids, c.Example)
		}
		var rows []example
		if err := s.db.WithContext(ctx).Table("sync_jobs j").Select("j.id, j.last_error_json, e.slug AS event_slug").
			Joins("JOIN pretix_events e ON e.id = j.event_id").Where("j.id IN ?", ids).Scan(&rows).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		for _, r := range rows {
			examples[r.ID] = r
		}
	}
	for _, c := range causes {
		out.ByCause = append(out.ByCause, ProblemCount{Mode: c.Mode, Label: s.modeLabel(c.Mode), Count: c.Count, Cause: c.CauseKey,
			Error: pretixwire.DisplayEmails(c.LastError), ErrorJSON: examples[c.Example].LastErrorJSON, EventSlug: examples[c.Example].EventSlug})
	}
	var rows []struct {
		models.SyncJob
		OrderCode string
		EventSlug string
	}
	// Page through ids on the covering index first, then read just the
	// page's rows: an OFFSET over joined full rows would read every
	// skipped row too.
	var ids []int64
	if err := paged.Select("sync_jobs.id").Order("sync_jobs.triggered_at DESC, sync_jobs.id DESC").
		Limit(q.Limit).Offset(q.Offset).Pluck("sync_jobs.id", &ids).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(ids) > 0 {
		if err := s.db.WithContext(ctx).Table("sync_jobs").Select("sync_jobs.*, o.code AS order_code, o.event_slug AS event_slug").
			Joins("JOIN pretix_orders o ON o.id = sync_jobs.order_id").Where("sync_jobs.id IN ?", ids).
			Order("sync_jobs.triggered_at DESC, sync_jobs.id DESC").Scan(&rows).Error; err != nil {
			return nil, apperr.Internal(err)
		}
	}
	now := s.clock.Now()
	for i := range rows {
		out.Items = append(out.Items, Problem{JobView: s.view(&rows[i].SyncJob, now), OrderCode: rows[i].OrderCode, EventSlug: rows[i].EventSlug})
	}
	return out, nil
}

func (s *Status) modeLabel(mode string) string {
	if mode == ModeRetrying {
		return "Temporary error, retried automatically"
	}
	return FailureLabel(mode)
}

// HasProblems reports whether an event has sync problems (the dashboard's
// yellow box).
func (s *Status) HasProblems(ctx context.Context, eventID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM sync_jobs INDEXED BY ix_sync_jobs_problems WHERE sync_jobs.event_id = ? AND "+problemWhere+")", eventID).Scan(&n).Error
	if err != nil {
		return false, apperr.Internal(err)
	}
	return n == 1, nil
}

// Retry makes the jobs due now with a fresh attempt budget (in-flight jobs
// are left alone) and wakes the worker; it returns how many it changed.
func (s *Status) Retry(ctx context.Context, jobIDs []int64) (int64, error) {
	if len(jobIDs) == 0 {
		return 0, apperr.Invalid("sync_no_jobs", "Select at least one sync job.")
	}
	n, err := s.q.Retry(ctx, jobIDs)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	if n > 0 {
		s.poke()
	}
	return n, nil
}

// Cancel removes the jobs that are not running; it returns how many it
// removed. A running job is kept (pretix's "The sync job is already in
// progress."): removing it would drop the record of what it writes.
func (s *Status) Cancel(ctx context.Context, jobIDs []int64) (int64, error) {
	if len(jobIDs) == 0 {
		return 0, apperr.Invalid("sync_no_jobs", "Select at least one sync job.")
	}
	res := s.db.WithContext(ctx).Where("id IN ? AND state <> ?", jobIDs, models.JobInFlight).Delete(&models.SyncJob{})
	if res.Error != nil {
		return 0, apperr.Internal(res.Error)
	}
	return res.RowsAffected, nil
}

// QueueCounts is an event's jobs by state, e.g. for the progress bar of a
// bulk sync.
type QueueCounts struct {
	Pending  int `json:"pending"` // due or waiting
	InFlight int `json:"in_flight"`
	Failed   int `json:"failed"`
}

// Counts counts an event's jobs of a provider ("" for all) and trigger (""
// for all, TriggerBulk for the bulk action's).
func (s *Status) Counts(ctx context.Context, eventID int64, provider, trigger string) (*QueueCounts, error) {
	db := s.db.WithContext(ctx).Model(&models.SyncJob{}).Where("event_id = ?", eventID)
	if provider != "" {
		db = db.Where("provider = ?", provider)
	}
	if trigger != "" {
		db = db.Where("triggered_by = ?", trigger)
	}
	var rows []struct {
		State string
		N     int
	}
	if err := db.Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := &QueueCounts{}
	for _, r := range rows {
		switch r.State {
		case models.JobPending:
			out.Pending = r.N
		case models.JobInFlight:
			out.InFlight = r.N
		case models.JobFailed:
			out.Failed = r.N
		}
	}
	return out, nil
}

// CancelPending removes an event's jobs that are not running (failed ones
// stay, they are problems to look at), e.g. "Cancel" on a bulk sync's
// progress bar with TriggerBulk; it returns how many it removed.
func (s *Status) CancelPending(ctx context.Context, eventID int64, provider, trigger string) (int64, error) {
	db := s.db.WithContext(ctx).Where("event_id = ? AND state = ?", eventID, models.JobPending)
	if provider != "" {
		db = db.Where("provider = ?", provider)
	}
	if trigger != "" {
		db = db.Where("triggered_by = ?", trigger)
	}
	res := db.Delete(&models.SyncJob{})
	if res.Error != nil {
		return 0, apperr.Internal(res.Error)
	}
	return res.RowsAffected, nil
}
