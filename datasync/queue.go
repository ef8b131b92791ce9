package datasync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/models"
)

// Triggers: why a job was queued.
const (
	TriggerNewOrder = "new_order"
	TriggerPaid     = "order_paid"
	TriggerChanged  = "order_changed"
	TriggerCanceled = "order_canceled"
	TriggerManual   = "manual"
	TriggerBulk     = "bulk"
	TriggerRetry    = "retry"
)

// Queue is the durable job queue: one row per (order, provider), claimed
// with a lease so a crash never loses a job and never runs it twice at once.
type Queue struct {
	db     *gorm.DB
	clock  clockwork.Clock
	policy RetryPolicy
	mu     sync.Mutex // guards rnd
	rnd    *rand.Rand
}

// NewQueue returns a queue; rnd drives the retry jitter.
func NewQueue(db *gorm.DB, clock clockwork.Clock, policy RetryPolicy, rnd *rand.Rand) *Queue {
	return &Queue{db: db, clock: clock, policy: policy, rnd: rnd}
}

// Policy returns the retry policy (the UI shows "Retry n of m").
func (q *Queue) Policy() RetryPolicy { return q.policy }

// Enqueue queues orders for a provider. An order without a job gets a pending
// one; a pending or failed job is reset to pending at notBefore (a manual
// trigger also resets its attempts); an in-flight job is flagged to run again
// once it finishes instead of getting a second row.
func (q *Queue) Enqueue(ctx context.Context, eventID int64, orderIDs []int64, provider, trigger string, notBefore time.Time) error {
	if len(orderIDs) == 0 {
		return nil
	}
	now := q.clock.Now().UTC()
	if notBefore.IsZero() {
		notBefore = now
	}
	// SQLite compares the stored times as text: only one zone may be stored.
	notBefore = notBefore.UTC()
	manual := trigger == TriggerManual || trigger == TriggerBulk || trigger == TriggerRetry
	return q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for start := 0; start < len(orderIDs); start += 500 {
			chunk := orderIDs[start:min(start+500, len(orderIDs))]
			var existing []models.SyncJob
			if err := tx.Where("provider = ? AND order_id IN ?", provider, chunk).Find(&existing).Error; err != nil {
				return err
			}
			have := make(map[int64]models.SyncJob, len(existing))
			for _, j := range existing {
				have[j.OrderID] = j
			}
			// Existing jobs fall into three groups, each updated by one
			// statement: live in-flight jobs run again after their round;
			// the others (pending, failed, or leased by a dead worker) are
			// taken over, with a fresh attempt budget when people asked or
			// the job had failed.
			var fresh []models.SyncJob
			var rerun, reset, keep []int64
			for _, id := range chunk {
				j, ok := have[id]
				switch {
				case !ok:
					fresh = append(fresh, models.SyncJob{OrderID: id, EventID: eventID, Provider: provider, TriggeredBy: trigger,
						TriggeredAt: now, NotBefore: notBefore, State: models.JobPending, UpdatedAt: now})
				case j.State == models.JobInFlight && !(j.LeaseExpiresAt != nil && j.LeaseExpiresAt.Before(now)):
					rerun = append(rerun, j.ID)
				case manual || j.State == models.JobFailed:
					reset = append(reset, j.ID)
				default:
					keep = append(keep, j.ID)
				}
			}
			takeOver := func(extra map[string]any) map[string]any {
				upd := map[string]any{"updated_at": now, "lease_owner": "", "lease_expires_at": nil, "leased_at": nil,
					"state": models.JobPending, "triggered_by": trigger, "triggered_at": now, "failure_mode": "", "wait_reason": "", "wait_code": ""}
				for k, v := range extra {
					upd[k] = v
				}
				return upd
			}
			for _, g := range []struct {
				ids []int64
				upd map[string]any
			}{
				{rerun, map[string]any{"rerun": true, "updated_at": now}},
				{reset, takeOver(map[string]any{"attempts": 0, "not_before": notBefore, "lease_expiries": 0, "last_error": "", "last_error_json": "", "cause": ""})},
				// An automatic trigger never brings a job forward.
				{keep, takeOver(map[string]any{"not_before": gorm.Expr("CASE WHEN not_before < ? THEN ? ELSE not_before END", notBefore, notBefore)})},
			} {
				if len(g.ids) == 0 {
					continue
				}
				if err := tx.Model(&models.SyncJob{}).Where("id IN ?", g.ids).Updates(g.upd).Error; err != nil {
					return err
				}
			}
			if len(fresh) > 0 {
				if err := tx.CreateInBatches(fresh, 200).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Lane is a share of a provider's queue that a runner drains on its own,
// side by side with the others: the live lane holds the jobs someone waits
// for (webhooks, Sync now, Retry, the pull) of every event; each event's
// bulk jobs form a lane of their own, so events and the portals they write
// to drain in parallel.
type Lane struct {
	Live    bool
	EventID int64 // for bulk lanes
}

func (l Lane) String() string {
	if l.Live {
		return "live"
	}
	return fmt.Sprintf("event %d", l.EventID)
}

// dueJobs selects the pending, due jobs of a provider whose event has it
// enabled, oldest first.
func dueJobs(tx *gorm.DB, provider string, now time.Time) *gorm.DB {
	return tx.Where("sync_jobs.state = ? AND sync_jobs.not_before <= ? AND sync_jobs.provider = ?", models.JobPending, now, provider).
		Where("EXISTS (SELECT 1 FROM event_providers ep WHERE ep.event_id = sync_jobs.event_id AND ep.provider = sync_jobs.provider AND ep.enabled)").
		Order("sync_jobs.not_before, sync_jobs.id")
}

func inLane(tx *gorm.DB, l Lane) *gorm.DB {
	if l.Live {
		// Walks the due index past the backlog: milliseconds even at
		// 100,000 jobs; an index of their own would cost every bulk
		// enqueue more than that.
		return tx.Where("sync_jobs.triggered_by <> ?", TriggerBulk)
	}
	return tx.Where("sync_jobs.event_id = ? AND sync_jobs.triggered_by = ?", l.EventID, TriggerBulk)
}

// DueLanes lists the lanes of a provider with due jobs.
func (q *Queue) DueLanes(ctx context.Context, provider string) ([]Lane, error) {
	now := q.clock.Now().UTC()
	db := q.db.WithContext(ctx)
	var lanes []Lane
	var live []int64
	if err := inLane(dueJobs(db.Model(&models.SyncJob{}), provider, now), Lane{Live: true}).Limit(1).Pluck("sync_jobs.id", &live).Error; err != nil {
		return nil, err
	}
	if len(live) > 0 {
		lanes = append(lanes, Lane{Live: true})
	}
	var events []int64
	err := db.Raw(`SELECT ep.event_id FROM event_providers ep WHERE ep.provider = ? AND ep.enabled AND EXISTS (
		SELECT 1 FROM sync_jobs j WHERE j.event_id = ep.event_id AND j.state = ? AND j.provider = ep.provider
		AND j.triggered_by = ? AND j.not_before <= ?) ORDER BY ep.event_id`,
		provider, models.JobPending, TriggerBulk, now).Scan(&events).Error
	for _, e := range events {
		lanes = append(lanes, Lane{EventID: e})
	}
	return lanes, err
}

// Claim leases up to limit due jobs of a provider whose event has it
// enabled, oldest first, the live lane's before any other.
func (q *Queue) Claim(ctx context.Context, provider, owner string, limit int, lease time.Duration) ([]models.SyncJob, error) {
	return q.claim(ctx, provider, owner, nil, limit, lease)
}

// ClaimLane leases up to limit due jobs of one lane, oldest first.
func (q *Queue) ClaimLane(ctx context.Context, provider, owner string, l Lane, limit int, lease time.Duration) ([]models.SyncJob, error) {
	return q.claim(ctx, provider, owner, &l, limit, lease)
}

func (q *Queue) claim(ctx context.Context, provider, owner string, lane *Lane, limit int, lease time.Duration) ([]models.SyncJob, error) {
	now := q.clock.Now().UTC()
	var jobs []models.SyncJob
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if lane != nil {
			err = inLane(dueJobs(tx, provider, now), *lane).Limit(limit).Find(&jobs).Error
		} else {
			err = inLane(dueJobs(tx, provider, now), Lane{Live: true}).Limit(limit).Find(&jobs).Error
			if err == nil && len(jobs) == 0 {
				err = dueJobs(tx, provider, now).Limit(limit).Find(&jobs).Error
			}
		}
		if err != nil || len(jobs) == 0 {
			return err
		}
		ids := make([]int64, len(jobs))
		for i := range jobs {
			ids[i] = jobs[i].ID
		}
		exp := now.Add(lease)
		for i := range jobs {
			jobs[i].State, jobs[i].LeaseOwner, jobs[i].LeaseExpiresAt, jobs[i].LeasedAt = models.JobInFlight, owner, &exp, &now
		}
		return tx.Model(&models.SyncJob{}).Where("id IN ?", ids).
			Updates(map[string]any{"state": models.JobInFlight, "lease_owner": owner, "lease_expires_at": exp, "leased_at": now,
				"wait_reason": "", "wait_code": "", "updated_at": now}).Error
	})
	return jobs, err
}

// Outcome is what happened to one claimed job.
type Outcome struct {
	Kind       OutcomeKind
	Error      string    // the message for people (the provider's own words)
	ErrorJSON  string    // structured details
	Mode       string    // failure mode for OutcomeFailed
	RetryAfter time.Time // for OutcomeWait: when to try again (rate limits: no attempt spent)
	WaitReason string
	WaitCode   string // for OutcomeWait: models.WaitSetup, or "" for a time
	// Cause groups failures of one kind across orders (the provider's
	// category, codes, property, mapping; never an order's values); ""
	// groups by Error.
	Cause string
}

// OutcomeKind says how a job ends a run.
type OutcomeKind int

// Outcome kinds.
const (
	OutcomeDone      OutcomeKind = iota // synced; the job is removed
	OutcomeTemporary                    // failed for now: retry with backoff, spends an attempt
	OutcomeFailed                       // failed for good with a failure mode
	OutcomeWait                         // not tried (rate limit, pause): back to pending, no attempt spent
)

// ErrLeaseLost means the job's lease had expired and another run owns it now.
var ErrLeaseLost = errors.New("lease lost")

// Finish records the outcome of a job this owner claimed.
func (q *Queue) Finish(ctx context.Context, jobID int64, owner string, o Outcome) error {
	now := q.clock.Now().UTC()
	return q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return q.finishTx(tx, now, jobID, owner, o)
	})
}

// FinishTx is Finish inside the caller's transaction, so results, log
// entries and the job's end are written together.
func (q *Queue) FinishTx(tx *gorm.DB, jobID int64, owner string, o Outcome) error {
	return q.finishTx(tx, q.clock.Now().UTC(), jobID, owner, o)
}

func (q *Queue) finishTx(tx *gorm.DB, now time.Time, jobID int64, owner string, o Outcome) error {
	var j models.SyncJob
	if err := tx.First(&j, jobID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrLeaseLost // canceled while in flight
		}
		return err
	}
	if j.State != models.JobInFlight || j.LeaseOwner != owner {
		return ErrLeaseLost
	}
	return q.finishLoadedTx(tx, now, j, o)
}

// finishLoadedTx ends a job the caller has just read inside tx and checked
// to be in flight under its own lease.
func (q *Queue) finishLoadedTx(tx *gorm.DB, now time.Time, j models.SyncJob, o Outcome) error {
	upd := map[string]any{"lease_owner": "", "lease_expires_at": nil, "leased_at": nil, "updated_at": now}
	switch o.Kind {
	case OutcomeDone:
		if !j.Rerun {
			return tx.Delete(&models.SyncJob{}, j.ID).Error
		}
		upd["state"], upd["rerun"], upd["not_before"], upd["attempts"] = models.JobPending, false, now, 0
		upd["last_error"], upd["last_error_json"], upd["failure_mode"] = "", "", ""
	case OutcomeWait:
		upd["state"], upd["not_before"], upd["wait_reason"], upd["wait_code"] = models.JobPending, o.RetryAfter.UTC(), o.WaitReason, o.WaitCode
	case OutcomeTemporary:
		attempts := j.Attempts + 1
		upd["attempts"], upd["last_error"], upd["last_error_json"], upd["cause"] = attempts, o.Error, o.ErrorJSON, o.Cause
		if attempts >= q.policy.MaxAttempts {
			upd["state"], upd["failure_mode"] = models.JobFailed, models.FailureExceeded
		} else {
			q.mu.Lock()
			d := q.policy.Delay(attempts, q.rnd)
			q.mu.Unlock()
			upd["state"], upd["not_before"] = models.JobPending, now.Add(d)
		}
	case OutcomeFailed:
		mode := o.Mode
		if mode == "" {
			mode = models.FailureInternal
		}
		upd["state"], upd["failure_mode"], upd["last_error"], upd["last_error_json"], upd["cause"] = models.JobFailed, mode, o.Error, o.ErrorJSON, o.Cause
		upd["attempts"] = j.Attempts + 1
		if j.Rerun {
			// The order changed meanwhile: the new data may well pass.
			upd["state"], upd["rerun"], upd["not_before"], upd["failure_mode"] = models.JobPending, false, now, ""
		}
	default:
		return fmt.Errorf("unknown outcome %d", o.Kind)
	}
	return tx.Model(&models.SyncJob{}).Where("id = ?", j.ID).Updates(upd).Error
}

// Sweep returns jobs whose lease expired (their worker died) to pending; a
// job whose lease expired twice is failed as a system error, because it
// probably crashes its worker.
func (q *Queue) Sweep(ctx context.Context) (int, error) {
	now := q.clock.Now().UTC()
	return q.returnLeases(ctx, now, func(tx *gorm.DB) *gorm.DB {
		return tx.Where("state = ? AND lease_expires_at < ?", models.JobInFlight, now)
	})
}

// ReclaimDead returns at once the jobs leased by processes on self's host
// that no longer run (alive says which do), instead of waiting for their
// leases to expire: after a crash and a restart the work resumes in
// seconds. Leases of other hosts are left to expire.
func (q *Queue) ReclaimDead(ctx context.Context, self Owner, alive func(pid int) bool) (int, error) {
	var owners []string
	if err := q.db.WithContext(ctx).Model(&models.SyncJob{}).Where("state = ? AND lease_owner <> ?", models.JobInFlight, self.String()).
		Distinct().Pluck("lease_owner", &owners).Error; err != nil {
		return 0, err
	}
	var dead []string
	for _, s := range owners {
		o, ok := ParseOwner(s)
		if ok && o.Host == self.Host && (o.PID == self.PID || !alive(o.PID)) {
			dead = append(dead, s)
		}
	}
	if len(dead) == 0 {
		return 0, nil
	}
	now := q.clock.Now().UTC()
	return q.returnLeases(ctx, now, func(tx *gorm.DB) *gorm.DB {
		return tx.Where("state = ? AND lease_owner IN ?", models.JobInFlight, dead)
	})
}

const interruptedTwice = "The sync of this order was interrupted twice without finishing (for example by a crash). Check the logs, then retry."

// returnLeases ends the leases of the in-flight jobs where selects, with two
// set-based statements: a second lost lease fails the job, a first one
// makes it due now.
func (q *Queue) returnLeases(ctx context.Context, now time.Time, where func(*gorm.DB) *gorm.DB) (int, error) {
	var n int64
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ended := func(cols map[string]any) map[string]any {
			cols["lease_owner"], cols["lease_expires_at"], cols["leased_at"] = "", nil, nil
			cols["lease_expiries"], cols["updated_at"] = gorm.Expr("lease_expiries + 1"), now
			return cols
		}
		failed := where(tx.Model(&models.SyncJob{})).Where("lease_expiries >= 1").
			Updates(ended(map[string]any{"state": models.JobFailed, "failure_mode": models.FailureInternal, "last_error": interruptedTwice}))
		if failed.Error != nil {
			return failed.Error
		}
		again := where(tx.Model(&models.SyncJob{})).Updates(ended(map[string]any{"state": models.JobPending, "not_before": now}))
		n = failed.RowsAffected + again.RowsAffected
		return again.Error
	})
	return int(n), err
}

// Renew extends the leases of every job owner holds, while its run goes on.
func (q *Queue) Renew(ctx context.Context, owner string, lease time.Duration) (int64, error) {
	now := q.clock.Now().UTC()
	res := q.db.WithContext(ctx).Model(&models.SyncJob{}).Where("state = ? AND lease_owner = ?", models.JobInFlight, owner).
		Update("lease_expires_at", now.Add(lease))
	return res.RowsAffected, res.Error
}

// Release hands jobs this owner still holds back to the queue at once, for
// a clean shutdown: without it they would wait for their lease to expire.
// Re-running them is safe because a run reads before it writes.
func (q *Queue) Release(ctx context.Context, jobIDs []int64, owner string) (int64, error) {
	now := q.clock.Now().UTC()
	res := q.db.WithContext(ctx).Model(&models.SyncJob{}).
		Where("id IN ? AND state = ? AND lease_owner = ?", jobIDs, models.JobInFlight, owner).
		Updates(map[string]any{"state": models.JobPending, "not_before": now, "lease_owner": "", "lease_expires_at": nil, "leased_at": nil, "updated_at": now})
	return res.RowsAffected, res.Error
}

// Retry makes failed or waiting jobs due now with a fresh attempt budget.
func (q *Queue) Retry(ctx context.Context, jobIDs []int64) (int64, error) {
	now := q.clock.Now().UTC()
	res := q.db.WithContext(ctx).Model(&models.SyncJob{}).Where("id IN ? AND state <> ?", jobIDs, models.JobInFlight).
		Updates(map[string]any{"state": models.JobPending, "not_before": now, "attempts": 0, "failure_mode": "", "lease_expiries": 0,
			"last_error": "", "last_error_json": "", "cause": "", "wait_reason": "", "wait_code": "", "triggered_by": TriggerRetry, "triggered_at": now, "updated_at": now})
	return res.RowsAffected, res.Error
}

// Cancel removes jobs; an in-flight job is removed too, and its worker's
// Finish then reports ErrLeaseLost and writes nothing.
func (q *Queue) Cancel(ctx context.Context, jobIDs []int64) (int64, error) {
	res := q.db.WithContext(ctx).Where("id IN ?", jobIDs).Delete(&models.SyncJob{})
	return res.RowsAffected, res.Error
}

// Wake makes the event's waiting jobs of provider due now; it returns how
// many it woke. Jobs backing off after an error keep their delay.
func (q *Queue) Wake(ctx context.Context, eventID int64, provider string) (int64, error) {
	now := q.clock.Now().UTC()
	res := q.db.WithContext(ctx).Model(&models.SyncJob{}).
		Where("event_id = ? AND provider = ? AND state = ? AND not_before > ? AND wait_reason <> ''", eventID, provider, models.JobPending, now).
		Updates(map[string]any{"not_before": now, "updated_at": now})
	return res.RowsAffected, res.Error
}
