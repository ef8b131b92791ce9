package datasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// MaxBulkOrders caps one "Sync orders…" run; larger backlogs are split by
// filter (e.g. by status) so a run stays something a person can follow.
const MaxBulkOrders = 50000

// OrderLister lists an event's stored orders the way the orders list does,
// so "all orders matching the filter" means exactly what the list shows.
type OrderLister interface {
	ListOrders(ctx context.Context, q pretix.OrderListQuery) (*pretix.OrderList, error)
}

// Bulk is the orders list's "Sync orders…" action: it queues the selected
// orders, or every order matching the list's filter, and reports the run's
// progress from the queue itself.
type Bulk struct {
	db         *gorm.DB
	enq        *Enqueuer
	orders     OrderLister
	clock      clockwork.Clock
	estimators []Estimator
}

// NewBulk returns the bulk sync service; the estimators say what a run
// costs for the providers that implement Estimator.
func NewBulk(db *gorm.DB, enq *Enqueuer, orders OrderLister, clock clockwork.Clock, providers ...Provider) *Bulk {
	b := &Bulk{db: db, enq: enq, orders: orders, clock: clock}
	for _, p := range providers {
		if e, ok := p.(Estimator); ok {
			b.estimators = append(b.estimators, e)
		}
	}
	return b
}

// BulkInput selects the orders of a run: OrderIDs, or (All) every order of
// the event matching Status and Search.
type BulkInput struct {
	OrganizerID int64    `json:"-"`
	EventID     int64    `json:"-"`
	OrderIDs    []int64  `json:"order_ids"`
	All         bool     `json:"all"`
	Status      []string `json:"status"`
	Search      string   `json:"search"`
	// AffectedBy selects the synced orders a change of this mapping
	// affects (SyncedOrders).
	AffectedBy int64 `json:"affected_by_mapping"`
	// AcceptDailyLimit starts a run that uses more than what is left of a
	// portal's daily request limit (the person saw the estimate).
	AcceptDailyLimit bool `json:"accept_daily_limit"`
}

// BulkProgress is a run's state. Every queued order is in exactly one of
// Pending (queued or being transferred, Retrying of them after an error),
// Done, Failed or Canceled.
type BulkProgress struct {
	ID         int64      `json:"id"`
	Selection  string     `json:"selection"` // "selected", "filter" or "mapping" (re-sync after a mapping change)
	Total      int        `json:"total"`     // orders queued
	Skipped    int        `json:"skipped"`   // test-mode orders, never transferred
	Pending    int        `json:"pending"`
	Retrying   int        `json:"retrying"`
	InFlight   int        `json:"in_flight"` // of Pending, being transferred now
	Done       int        `json:"done"`
	Failed     int        `json:"failed"`
	Canceled   int        `json:"canceled"`
	Running    bool       `json:"running"`
	Paused     bool       `json:"paused"` // pending orders wait because no provider is enabled
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	CanceledAt *time.Time `json:"canceled_at"`
}

type bulkFilter struct {
	Status []string `json:"status,omitempty"`
	Search string   `json:"search,omitempty"`
}

// Start queues the run's orders for every provider of the event (trigger
// "bulk") and wakes the worker. A run that would use more than what is
// left of a portal's daily limit starts only when the input accepts that.
func (b *Bulk) Start(ctx context.Context, in BulkInput) (*BulkProgress, error) {
	live, skipped, selection, err := b.selectOrders(ctx, in)
	if err != nil {
		return nil, err
	}
	if !in.AcceptDailyLimit {
		ests, err := b.estimates(ctx, in.EventID, len(live))
		if err != nil {
			return nil, err
		}
		for _, e := range ests {
			if e.ExceedsDaily {
				return nil, apperr.New(apperr.KindConflict, "sync_bulk_daily_limit", fmt.Sprintf(
					"These %d orders need about %d %s requests, but only %d of today's %d remain. The run would stop at the limit and go on after it resets at midnight (the account's time), "+
						"and until then nothing else of this account is transferred either — new orders included. Sync fewer orders, or confirm that you want to start anyway.",
					len(live), e.Requests, e.DisplayName, e.DailyRemaining, e.DailyLimit))
			}
		}
	}
	if _, err := b.enq.SyncNow(ctx, in.EventID, live, TriggerBulk); err != nil {
		return nil, err
	}
	run := models.SyncBulkRun{EventID: in.EventID, Total: len(live), Skipped: skipped, Selection: selection, CreatedAt: b.clock.Now().UTC()}
	if in.All {
		f, _ := json.Marshal(bulkFilter{Status: in.Status, Search: in.Search})
		run.FilterJSON = string(f)
	}
	err = b.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&run).Error; err != nil {
			return err
		}
		rows := make([]models.SyncBulkRunOrder, len(live))
		for i, id := range live {
			rows[i] = models.SyncBulkRunOrder{RunID: run.ID, OrderID: id}
		}
		return tx.CreateInBatches(rows, 300).Error
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return b.progress(ctx, &run)
}

// selectOrders returns the run's orders without test-mode ones, how many
// test-mode ones were left out, and the kind of selection.
func (b *Bulk) selectOrders(ctx context.Context, in BulkInput) (live []int64, skipped int, selection string, err error) {
	picks := 0
	for _, b := range []bool{in.All, len(in.OrderIDs) > 0, in.AffectedBy != 0} {
		if b {
			picks++
		}
	}
	if picks != 1 {
		return nil, 0, "", apperr.Invalid("sync_bulk_selection", "Select orders, or choose all orders matching the filter (not both).")
	}
	ids := dedupe(in.OrderIDs)
	selection = "selected"
	if in.AffectedBy != 0 {
		selection = "mapping"
		if ids, err = SyncedOrders(ctx, b.db, in.EventID, in.AffectedBy); err != nil {
			return nil, 0, "", err
		}
		if len(ids) == 0 {
			return nil, 0, "", apperr.Invalid("sync_bulk_no_orders", "No order of this event has been synced yet, so there is nothing to re-sync.")
		}
	} else if in.All {
		selection = "filter"
		if ids, err = b.matching(ctx, in); err != nil {
			return nil, 0, "", err
		}
		if len(ids) == 0 {
			return nil, 0, "", apperr.Invalid("sync_bulk_no_orders", "No orders match the filter.")
		}
	}
	if len(ids) > MaxBulkOrders {
		return nil, 0, "", apperr.Invalid("sync_bulk_too_many",
			fmt.Sprintf("%d orders are more than one run takes (%d). Narrow the filter, e.g. by status, and sync the rest in a second run.", len(ids), MaxBulkOrders))
	}
	live, skipped, err = b.liveOrders(ctx, in.EventID, ids)
	if err != nil {
		return nil, 0, "", err
	}
	if len(live) == 0 {
		return nil, 0, "", apperr.Invalid("sync_test_orders", "Test-mode orders are never transferred.")
	}
	return live, skipped, selection, nil
}

// matching returns the ids of every order the orders list shows for the
// filter, page by page.
func (b *Bulk) matching(ctx context.Context, in BulkInput) ([]int64, error) {
	q := pretix.OrderListQuery{OrganizerID: in.OrganizerID, EventID: in.EventID, Status: in.Status, Search: in.Search,
		PageSize: pretix.MaxOrderPageSize}
	seen := map[int64]bool{}
	var ids []int64
	for q.Page = 1; ; q.Page++ {
		l, err := b.orders.ListOrders(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Orders {
			// New orders arriving meanwhile shift the pages; take each once.
			if !seen[o.ID] {
				seen[o.ID] = true
				ids = append(ids, o.ID)
			}
		}
		if len(l.Orders) < q.PageSize || len(ids) > MaxBulkOrders {
			return ids, nil
		}
	}
}

// liveOrders checks that the orders belong to the event and drops test-mode
// ones, which are never transferred.
func (b *Bulk) liveOrders(ctx context.Context, eventID int64, ids []int64) (live []int64, skipped int, err error) {
	found := 0
	for start := 0; start < len(ids); start += 500 {
		var part []struct {
			ID       int64
			Testmode bool
		}
		if err := b.db.WithContext(ctx).Model(&models.PretixOrder{}).Select("id, testmode").
			Where("event_id = ? AND id IN ?", eventID, ids[start:min(start+500, len(ids))]).Scan(&part).Error; err != nil {
			return nil, 0, apperr.Internal(err)
		}
		found += len(part)
		for _, o := range part {
			if o.Testmode {
				skipped++
			} else {
				live = append(live, o.ID)
			}
		}
	}
	if found != len(ids) {
		return nil, 0, apperr.NotFound("sync_order_not_found",
			fmt.Sprintf("%d of the selected orders do not belong to this event (any more). Reload the order list and try again.", len(ids)-found))
	}
	return live, skipped, nil
}

func (b *Bulk) load(ctx context.Context, eventID, runID int64) (*models.SyncBulkRun, error) {
	var run models.SyncBulkRun
	err := b.db.WithContext(ctx).Where("id = ? AND event_id = ?", runID, eventID).Take(&run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("sync_bulk_not_found", "This bulk sync does not exist for this event.")
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return &run, nil
}

// Progress returns a run of the event.
func (b *Bulk) Progress(ctx context.Context, eventID, runID int64) (*BulkProgress, error) {
	run, err := b.load(ctx, eventID, runID)
	if err != nil {
		return nil, err
	}
	return b.progress(ctx, run)
}

// Current returns the event's latest run while it is still running, so the
// orders list shows its progress after a reload; nil when none runs.
func (b *Bulk) Current(ctx context.Context, eventID int64) (*BulkProgress, error) {
	var runs []models.SyncBulkRun
	if err := b.db.WithContext(ctx).Where("event_id = ? AND finished_at IS NULL AND canceled_at IS NULL", eventID).
		Order("id DESC").Limit(1).Find(&runs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	p, err := b.progress(ctx, &runs[0])
	if err != nil || !p.Running {
		return nil, err
	}
	return p, nil
}

// Cancel removes the run's jobs that have not started yet; jobs being
// transferred finish, and failed ones stay on the problems page.
func (b *Bulk) Cancel(ctx context.Context, eventID, runID int64) (*BulkProgress, error) {
	run, err := b.load(ctx, eventID, runID)
	if err != nil {
		return nil, err
	}
	if run.CanceledAt == nil {
		now := b.clock.Now().UTC()
		err := b.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// Marking first takes SQLite's write lock, so no job can be
			// claimed between choosing the orders and removing their jobs.
			if err := tx.Exec(`UPDATE sync_bulk_run_orders SET canceled = 1 WHERE run_id = ? AND NOT canceled AND order_id IN
				(SELECT order_id FROM sync_jobs WHERE event_id = ? AND state = ?)`, run.ID, eventID, models.JobPending).Error; err != nil {
				return err
			}
			if err := tx.Exec(`DELETE FROM sync_jobs WHERE event_id = ? AND state = ? AND order_id IN
				(SELECT order_id FROM sync_bulk_run_orders WHERE run_id = ? AND canceled)`, eventID, models.JobPending, run.ID).Error; err != nil {
				return err
			}
			return tx.Model(run).Update("canceled_at", now).Error
		})
		if err != nil {
			return nil, apperr.Internal(err)
		}
		run.CanceledAt = &now
	}
	return b.progress(ctx, run)
}

// progress counts the run's orders by the state of their jobs: an order
// whose job is gone was transferred (or found up to date).
func (b *Bulk) progress(ctx context.Context, run *models.SyncBulkRun) (*BulkProgress, error) {
	var c struct {
		RowCount, Canceled, Pending, Retrying, Failed int
		Enabled                                       bool
	}
	// One index lookup per order: its jobs' most telling state, 3 queued
	// after an error (retrying), 2 queued or running, 1 failed, NULL none.
	err := b.db.WithContext(ctx).Raw(`SELECT COUNT(*) AS row_count,
			COALESCE(SUM(canceled), 0) AS canceled,
			COALESCE(SUM(NOT canceled AND st >= 2), 0) AS pending,
			COALESCE(SUM(NOT canceled AND st = 3), 0) AS retrying,
			COALESCE(SUM(NOT canceled AND st = 1), 0) AS failed,
			EXISTS (SELECT 1 FROM event_providers ep WHERE ep.event_id = ? AND ep.enabled) AS enabled
		FROM (SELECT ro.canceled, (SELECT MAX(CASE WHEN j.state = 'failed' THEN 1 WHEN j.attempts > 0 AND j.last_error <> '' THEN 3 ELSE 2 END)
				FROM sync_jobs j WHERE j.order_id = ro.order_id) AS st
			FROM sync_bulk_run_orders ro WHERE ro.run_id = ?)`, run.EventID, run.ID).Scan(&c).Error
	if err != nil {
		return nil, apperr.Internal(err)
	}
	// In flight are at most a few rounds of jobs: counted from their side.
	var inFlight int
	err = b.db.WithContext(ctx).Raw(`SELECT COUNT(DISTINCT j.order_id) FROM sync_jobs j
		WHERE j.event_id = ? AND j.state = 'in_flight'
			AND EXISTS (SELECT 1 FROM sync_bulk_run_orders ro WHERE ro.run_id = ? AND ro.order_id = j.order_id AND NOT ro.canceled)`,
		run.EventID, run.ID).Scan(&inFlight).Error
	if err != nil {
		return nil, apperr.Internal(err)
	}
	p := &BulkProgress{ID: run.ID, Selection: run.Selection, Total: run.Total, Skipped: run.Skipped, Pending: c.Pending, Retrying: c.Retrying, InFlight: inFlight,
		Failed: c.Failed, Canceled: c.Canceled, Done: c.RowCount - c.Canceled - c.Pending - c.Failed,
		CreatedAt: run.CreatedAt.UTC(), FinishedAt: run.FinishedAt, CanceledAt: run.CanceledAt}
	// Orders deleted since (their jobs went with them) count as done: there
	// is nothing left to transfer.
	p.Done += run.Total - c.RowCount
	p.Paused = p.Pending > 0 && !c.Enabled
	p.Running = run.CanceledAt == nil && p.Pending > 0
	if run.FinishedAt == nil && run.CanceledAt == nil && p.Pending == 0 {
		now := b.clock.Now().UTC()
		if err := b.db.WithContext(ctx).Model(run).Update("finished_at", now).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		run.FinishedAt, p.FinishedAt = &now, &now
	}
	return p, nil
}
