package datasync

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// JobScope confines Retry and Cancel to the jobs a page shows: those of one
// order, one event or one organizer. Job ids come from the browser, so a page
// must never act on ids of another event because someone edited a request.
type JobScope struct {
	OrderID     int64
	EventID     int64
	OrganizerID int64
}

func (sc JobScope) where(db *gorm.DB) (*gorm.DB, error) {
	switch {
	case sc.OrderID != 0:
		return db.Where("order_id = ?", sc.OrderID), nil
	case sc.EventID != 0:
		return db.Where("event_id = ?", sc.EventID), nil
	case sc.OrganizerID != 0:
		return db.Where("event_id IN (SELECT id FROM pretix_events WHERE organizer_id = ?)", sc.OrganizerID), nil
	}
	return nil, apperr.Internal(fmt.Errorf("datasync: job scope without order, event or organizer"))
}

// ActionResult says what Retry or Cancel did with the selected jobs.
type ActionResult struct {
	Changed int64 `json:"changed"` // jobs retried or removed
	// Skipped counts selected jobs left alone: finished or removed
	// meanwhile, outside the scope, or (for Cancel) being transferred.
	Skipped int `json:"skipped"`
}

// inScope returns the selected ids that belong to the scope (all of the
// order's jobs when ids is empty and the scope is an order).
func (s *Status) inScope(ctx context.Context, sc JobScope, ids []int64) ([]int64, error) {
	db, err := sc.where(s.db.WithContext(ctx).Model(&models.SyncJob{}))
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 && sc.OrderID == 0 {
		return nil, apperr.Invalid("sync_no_jobs", "Select at least one sync job.")
	}
	if len(ids) > 1000 {
		return nil, apperr.Invalid("sync_too_many_jobs", "Select at most 1,000 sync jobs at a time.")
	}
	if len(ids) > 0 {
		db = db.Where("id IN ?", dedupe(ids))
	}
	var out []int64
	if err := db.Order("id").Pluck("id", &out).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(out) == 0 {
		if sc.OrderID != 0 {
			return nil, apperr.NotFound("sync_job_not_found", "This order has no sync job (any more); reload the page to see its current state.")
		}
		return nil, apperr.NotFound("sync_job_not_found",
			"None of the selected sync jobs is waiting here any more (they may have finished meanwhile). Reload the page.")
	}
	return out, nil
}

// RetryIn makes the selected jobs of the scope due now with a fresh attempt
// budget ("Retry now", "Retry selected") and wakes the worker. Jobs being
// transferred right now are left alone: they finish on their own.
func (s *Status) RetryIn(ctx context.Context, sc JobScope, ids []int64) (*ActionResult, error) {
	scoped, err := s.inScope(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	if err := s.refreshJobs(ctx, scoped); err != nil {
		return nil, err
	}
	n, err := s.Retry(ctx, scoped)
	if err != nil {
		return nil, err
	}
	return &ActionResult{Changed: n, Skipped: selected(ids, scoped) - int(n)}, nil
}

// RetryCause retries every problem of the scope with the given mode (as
// the problems page groups them) and cause: "Retry these N".
func (s *Status) RetryCause(ctx context.Context, sc JobScope, mode, cause string) (*ActionResult, error) {
	if cause == "" {
		return nil, apperr.Invalid("sync_cause_missing", "Choose the cause whose orders to retry.")
	}
	db, err := sc.where(s.db.WithContext(ctx).Table("sync_jobs").Where(problemWhere))
	if err != nil {
		return nil, err
	}
	db = db.Where(causeKey+" = ?", cause)
	if mode == ModeRetrying {
		db = db.Where("state = 'pending'")
	} else {
		db = db.Where("state = 'failed' AND failure_mode = ?", mode)
	}
	var ids []int64
	if err := db.Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(ids) == 0 {
		return nil, apperr.NotFound("sync_job_not_found", "No order has this problem any more (it may have been solved meanwhile). Reload the page.")
	}
	if err := s.refreshJobs(ctx, ids); err != nil {
		return nil, err
	}
	var n int64
	for start := 0; start < len(ids); start += 500 {
		part, err := s.Retry(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return nil, err
		}
		n += part
	}
	return &ActionResult{Changed: n, Skipped: len(ids) - int(n)}, nil
}

// CancelIn removes the selected jobs of the scope ("Cancel", "Cancel
// selected"). A job being transferred is not removed: its writes to the
// provider may already have happened, and removing it would lose their
// results and history entries.
func (s *Status) CancelIn(ctx context.Context, sc JobScope, ids []int64) (*ActionResult, error) {
	scoped, err := s.inScope(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	// One statement, so a job claimed since the scope check stays.
	res := s.db.WithContext(ctx).Where("id IN ? AND state <> ?", scoped, models.JobInFlight).Delete(&models.SyncJob{})
	if res.Error != nil {
		return nil, apperr.Internal(res.Error)
	}
	if res.RowsAffected == 0 && sc.OrderID != 0 {
		return nil, apperr.New(apperr.KindConflict, "sync_job_in_flight", "The order is being transferred right now and cannot be canceled; wait a moment.")
	}
	return &ActionResult{Changed: res.RowsAffected, Skipped: selected(ids, scoped) - int(res.RowsAffected)}, nil
}

// selected is how many distinct jobs a request named (an order's request
// names none and means all of them).
func selected(ids, scoped []int64) int {
	if len(ids) == 0 {
		return len(scoped)
	}
	return len(dedupe(ids))
}
