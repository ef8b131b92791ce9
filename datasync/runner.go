package datasync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/models"
)

// Provider writes orders to one external system. It gets a whole event's
// batch at once so it can read and write in bulk, and reports one outcome
// per job. Providers never touch the queue.
type Provider interface {
	Name() string        // stable identifier stored in jobs, e.g. "hubspot"
	DisplayName() string // shown to people, e.g. "HubSpot"
	Sync(ctx context.Context, b Batch) []JobResult
}

// Batch is the due work of one event for one provider.
type Batch struct {
	EventID int64
	Jobs    []models.SyncJob
	Orders  map[int64]*models.PretixOrder // by order id, raw JSON included
	// Live says the jobs come from the live lane (webhooks, Sync now,
	// Retry): someone waits for them, so they go before bulk work.
	Live bool
	// Overlap lets the next batch start syncing while this one goes on. A
	// provider calls it once a later batch can no longer get ahead of this
	// one where that matters (for HubSpot: once this batch has queued for
	// the records it shares with others); Sync returning counts as a call.
	// Nil outside the runner.
	Overlap func()
	// Stats, when set, is where the provider counts what the batch cost
	// (for run history and metrics).
	Stats *BatchStats
}

// BatchStats is what a provider reports a batch cost.
type BatchStats struct {
	Requests       atomic.Int64 // calls to the external system
	RateLimitWaits atomic.Int64 // answers that said "too many requests"
}

// JobResult is what a provider did for one job of a batch.
type JobResult struct {
	JobID   int64
	Outcome Outcome
	Results []models.SyncResult // external objects written (or found unchanged)
	Log     []models.OrderLog   // order history entries
}

// Order log kinds written by the engine.
const (
	LogTransferred = "sync.transferred"
	LogError       = "sync.error"
	LogManual      = "sync.manual"
)

// Runner claims due jobs, hands them to providers per event and records the
// outcome. Poke makes it run within moments; the scheduler calls it too.
type Runner struct {
	db        *gorm.DB
	q         *Queue
	clock     clockwork.Clock
	logger    *slog.Logger
	providers []Provider
	owner     string
	self      Owner // owner parsed, when it is host:pid:nonce
	hasSelf   bool
	alive     func(pid int) bool
	batchSize int
	inFlight  int
	lanes     int
	lease     time.Duration
	onRound   func(RoundStats)

	poke chan struct{} // for Work: run again
	wake chan struct{} // for a run going on: look for new lanes
	mu   sync.Mutex    // one run at a time
}

// RunnerOptions tune a Runner.
type RunnerOptions struct {
	Owner     string // lease owner id: Owner.String() of this process
	BatchSize int    // jobs claimed per round (default DefaultBatchSize)
	// InFlight is how many batches of one lane sync at once (default 4):
	// enough to keep a portal's budget busy while HubSpot takes its time.
	InFlight int
	// Lanes bounds the bulk lanes (one per event) drained side by side
	// (default 8); the live lane always runs beside them.
	Lanes int
	Lease time.Duration // lease length, renewed every third of it while a run goes on (default DefaultLease)
	// Alive says whether a process of this host runs (default
	// ProcessAlive); leases of dead ones are reclaimed at once.
	Alive func(pid int) bool
	// OnRound (may be nil) learns about every batch a provider synced, for
	// metrics; it must not block.
	OnRound func(RoundStats)
}

// RoundStats is what one batch's sync did.
type RoundStats struct {
	Provider string
	EventID  int64
	Live     bool
	Started  time.Time
	Took     time.Duration
	Outcomes map[OutcomeKind]int // jobs by outcome
	Modes    map[string]int      // failed jobs by failure mode
	Actions  map[string]int      // results by action (created, updated, nothing_to_do, skipped, …)
	Requests int64               // calls the provider made (BatchStats)
	Waits    int64               // rate-limit answers among them
}

// roundStats counts a batch's results.
func roundStats(p Provider, b Batch, started time.Time, took time.Duration, res []JobResult) RoundStats {
	st := RoundStats{Provider: p.Name(), EventID: b.EventID, Live: b.Live, Started: started, Took: took,
		Outcomes: map[OutcomeKind]int{}, Modes: map[string]int{}, Actions: map[string]int{}}
	if b.Stats != nil {
		st.Requests, st.Waits = b.Stats.Requests.Load(), b.Stats.RateLimitWaits.Load()
	}
	for _, jr := range res {
		st.Outcomes[jr.Outcome.Kind]++
		if jr.Outcome.Kind == OutcomeFailed {
			st.Modes[jr.Outcome.Mode]++
		}
		for _, sr := range jr.Results {
			st.Actions[sr.Action]++
		}
	}
	return st
}

// DefaultBatchSize is a round's size. HubSpot calls take hundreds of
// milliseconds, so a round's calls go out together and its phases wait for
// their slowest call. Larger rounds dedupe more records (fewer calls whose
// 100 inputs are not full) and hand fewer shared records from round to
// round; 2,500 orders with 4 rounds in flight keep a portal's budget busy
// while a round stays a few tens of MB (hubspotsync's BenchmarkSyncBacklog:
// 229 requests for the 10,000-order backlog with rounds of 1,000, 195 with
// 2,500).
const DefaultBatchSize = 2500

// liveInFlightFactor is how many times more batches the live lane has in
// flight than a bulk lane.
const liveInFlightFactor = 4

// DefaultLease is short so that the jobs of a process that died on another
// machine, or whose death could not be seen, return within a minute (with
// the sweeper's 15 s period); a live process renews its leases every 15 s.
const DefaultLease = 45 * time.Second

// NewRunner returns a runner for the given providers.
func NewRunner(db *gorm.DB, q *Queue, clock clockwork.Clock, logger *slog.Logger, providers []Provider, o RunnerOptions) *Runner {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.InFlight <= 0 {
		o.InFlight = 4
	}
	if o.Lanes <= 0 {
		o.Lanes = 8
	}
	if o.Owner == "" {
		o.Owner = "runner"
	}
	if o.Alive == nil {
		o.Alive = ProcessAlive
	}
	self, hasSelf := ParseOwner(o.Owner)
	return &Runner{db: db, q: q, clock: clock, logger: logger, providers: providers, owner: o.Owner, self: self, hasSelf: hasSelf,
		alive: o.Alive, batchSize: o.BatchSize, inFlight: o.InFlight, lanes: o.Lanes, lease: o.Lease, onRound: o.OnRound,
		poke: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
}

// Provider returns the provider with the given name.
func (r *Runner) Provider(name string) Provider {
	for _, p := range r.providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// Poke asks the worker to run soon, and a run going on to look for new
// work; it never blocks.
func (r *Runner) Poke() {
	for _, c := range []chan struct{}{r.poke, r.wake} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Work runs the worker until ctx ends: a run per poke.
func (r *Runner) Work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.poke:
			if err := r.RunOnce(ctx); err != nil && !errors.Is(err, context.Canceled) {
				r.logger.Error("sync run failed", "err", err)
			}
		}
	}
}

// RunOnce reclaims the jobs of dead predecessors, sweeps expired leases,
// then drains every due job, renewing its leases meanwhile.
func (r *Runner) RunOnce(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hasSelf {
		if n, err := r.q.ReclaimDead(ctx, r.self, r.alive); err != nil {
			return fmt.Errorf("reclaim: %w", err)
		} else if n > 0 {
			r.logger.Info("resumed the sync jobs of a worker that stopped without finishing them", "jobs", n)
		}
	}
	if _, err := r.q.Sweep(ctx); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	stopRenew := r.renewWhileRunning(ctx)
	defer stopRenew()
	return r.drainLanes(ctx)
}

// laneOf is one lane of one provider.
type laneOf struct {
	provider string
	lane     Lane
}

// drainLanes drains every provider's due lanes side by side until none
// is left: the live lane and up to r.lanes bulk lanes at once. New lanes
// are looked for whenever one ends and whenever the runner is poked, so a
// webhook's order starts within moments even while a backfill drains.
func (r *Runner) drainLanes(ctx context.Context) error {
	type ended struct {
		l   laneOf
		err error
	}
	running := map[laneOf]bool{}
	liveWake := map[string]chan struct{}{} // by provider: tells a running live lane of new work
	bulk := 0
	endc := make(chan ended)
	var firstErr error
	launch := func() {
		for _, p := range r.providers {
			if firstErr != nil || ctx.Err() != nil {
				return
			}
			lanes, err := r.q.DueLanes(ctx, p.Name())
			if err != nil {
				firstErr = fmt.Errorf("list due lanes: %w", err)
				return
			}
			for _, ln := range lanes {
				l := laneOf{p.Name(), ln}
				if running[l] || (!ln.Live && bulk >= r.lanes) {
					continue
				}
				running[l] = true
				if !ln.Live {
					bulk++
				}
				var wake chan struct{}
				if ln.Live {
					wake = make(chan struct{}, 1)
					liveWake[p.Name()] = wake
				}
				go func() { endc <- ended{l, r.drain(ctx, p, ln, wake)} }()
			}
		}
	}
	// A poke from before this run is answered by the first look.
	select {
	case <-r.wake:
	default:
	}
	launch()
	for len(running) > 0 {
		select {
		case e := <-endc:
			delete(running, e.l)
			if e.l.lane.Live {
				delete(liveWake, e.l.provider)
			} else {
				bulk--
			}
			if e.err != nil && firstErr == nil {
				firstErr = e.err
			}
			launch()
		case <-r.wake:
			for _, c := range liveWake {
				select {
				case c <- struct{}{}:
				default:
				}
			}
			launch()
		}
	}
	return firstErr
}

// renewWhileRunning extends this runner's leases every third of their
// length until the returned function is called.
func (r *Runner) renewWhileRunning(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Paced on wall time, not the injected clock: a fake clock in tests
		// must not see a sleeper for the whole run (it would be advanced
		// past waits that did not happen), and the expiry it writes still
		// comes from the injected clock.
		t := time.NewTicker(r.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := r.q.Renew(ctx, r.owner, r.lease); err != nil && ctx.Err() == nil {
					r.logger.Warn("could not renew sync leases; another worker may take the jobs over", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// drain runs rounds of one lane until none of its jobs is due, as a
// pipeline: a batch starts syncing as soon as the previous one allows it
// (Overlap), up to r.inFlight batches at once; the next round is claimed
// as soon as the last batch of a round has started, and results are
// recorded in order while later batches sync.
func (r *Runner) drain(ctx context.Context, p Provider, lane Lane, wake <-chan struct{}) error {
	var (
		window    []*inflight // syncing, in the order they started
		recording chan error
		unsettled []Batch // claimed, not recorded: handed back on failure
	)
	waitRecorded := func() error {
		if recording == nil {
			return nil
		}
		err := <-recording
		recording = nil
		return err
	}
	finishOldest := func(results []JobResult) error {
		f := window[0]
		window = window[1:]
		f.b.Orders = nil // recording needs the jobs only
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := waitRecorded(); err != nil {
			return err
		}
		recording = make(chan error, 1)
		go func() { recording <- r.record(ctx, f.b.Jobs, results) }()
		unsettled = unsettled[1:]
		return nil
	}
	// Live batches are small and may wait for a backfill's records: more of
	// them in flight keeps the next webhook's order from waiting behind them.
	limit := r.inFlight
	if lane.Live {
		limit *= liveInFlightFactor
	}
	var pending []Batch
	var err error
	for err == nil {
		if len(pending) == 0 {
			// Claimed only when the last batch of a round has started: a
			// round waiting in memory beside the running ones would cost
			// more than it saves.
			var more []Batch
			if more, err = r.claim(ctx, p, lane); err != nil {
				break
			}
			unsettled = append(unsettled, more...)
			pending = more
			if len(pending) == 0 {
				if len(window) == 0 {
					break
				}
				// Nothing due now: record the oldest batch once it is done,
				// or look again when new work arrives (a webhook's order
				// must not wait for the live batch before it).
				select {
				case res := <-window[0].done:
					err = finishOldest(res)
				case <-wake:
				case <-ctx.Done():
					err = ctx.Err()
				}
				continue
			}
		}
		if len(window) >= limit {
			err = finishOldest(<-window[0].done)
			continue
		}
		cur := r.start(ctx, p, pending[0], lane.Live)
		pending = pending[1:]
		window = append(window, cur)
		select {
		case <-cur.overlap:
		case <-ctx.Done():
		}
	}
	for len(window) > 0 {
		if ferr := finishOldest(<-window[0].done); err == nil {
			err = ferr
		}
	}
	if rerr := waitRecorded(); err == nil {
		err = rerr
	}
	if err != nil {
		// Shutting down or failing mid-run: hand back what was not recorded
		// so the next run picks it up at once (a crash leaves it to the
		// sweeper). A Sync still running ends with the context.
		r.release(unsettled)
	}
	return err
}

// inflight is a batch whose Sync runs.
type inflight struct {
	b       Batch
	done    chan []JobResult
	overlap chan struct{}
}

func (r *Runner) start(ctx context.Context, p Provider, b Batch, live bool) *inflight {
	b.Live = live
	overlap := make(chan struct{})
	var once sync.Once
	b.Overlap = func() { once.Do(func() { close(overlap) }) }
	b.Stats = &BatchStats{}
	f := &inflight{b: b, done: make(chan []JobResult, 1), overlap: overlap}
	go func() {
		if err := r.loadOrders(ctx, &b); err != nil {
			b.Overlap()
			f.done <- failAll(b.Jobs, err)
			return
		}
		started := r.clock.Now()
		res := r.safeSync(ctx, p, b)
		b.Overlap()
		if r.onRound != nil {
			r.onRound(roundStats(p, b, started, r.clock.Since(started), res))
		}
		f.done <- res
	}()
	return f
}

// claim leases one round of a lane's due jobs, one batch per event in the
// order the jobs came. Their orders are loaded when a batch starts: a
// round waiting for its turn holds only its jobs, and syncs what the
// database holds when it runs.
func (r *Runner) claim(ctx context.Context, p Provider, lane Lane) ([]Batch, error) {
	jobs, err := r.q.ClaimLane(ctx, p.Name(), r.owner, lane, r.batchSize, r.lease)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	byEvent := map[int64]int{}
	var out []Batch
	for _, j := range jobs {
		i, ok := byEvent[j.EventID]
		if !ok {
			i = len(out)
			byEvent[j.EventID] = i
			out = append(out, Batch{EventID: j.EventID})
		}
		out[i].Jobs = append(out[i].Jobs, j)
	}
	return out, nil
}

// loadOrders reads a batch's orders, raw JSON included.
func (r *Runner) loadOrders(ctx context.Context, b *Batch) error {
	ids := make([]int64, len(b.Jobs))
	for k, j := range b.Jobs {
		ids[k] = j.OrderID
	}
	var orders []models.PretixOrder
	if err := r.db.WithContext(ctx).Where("id IN ?", ids).Find(&orders).Error; err != nil {
		return err
	}
	b.Orders = make(map[int64]*models.PretixOrder, len(orders))
	for k := range orders {
		b.Orders[orders[k].ID] = &orders[k]
	}
	return nil
}

// failAll is a batch's results when its orders could not be read: every
// job is tried again later.
func failAll(jobs []models.SyncJob, err error) []JobResult {
	out := make([]JobResult, len(jobs))
	for i, j := range jobs {
		out[i] = JobResult{JobID: j.ID, Outcome: Outcome{Kind: OutcomeTemporary,
			Error: "The orders could not be read from the database (" + err.Error() + "); the sync is retried automatically."}}
	}
	return out
}

// release hands claimed jobs back at once.
func (r *Runner) release(batches []Batch) {
	var ids []int64
	for _, b := range batches {
		ids = append(ids, jobIDs(b.Jobs)...)
	}
	if len(ids) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.q.Release(rctx, ids, r.owner); err != nil {
		r.logger.Warn("could not release sync jobs; they resume when their lease expires", "err", err)
	}
}

// safeSync turns a provider panic into a system error for the batch instead
// of killing the process.
func (r *Runner) safeSync(ctx context.Context, p Provider, b Batch) (out []JobResult) {
	defer func() {
		if v := recover(); v != nil {
			r.logger.Error("sync provider panicked", "provider", p.Name(), "event", b.EventID, "panic", v)
			out = nil
			for _, j := range b.Jobs {
				out = append(out, JobResult{JobID: j.ID, Outcome: Outcome{Kind: OutcomeFailed, Mode: models.FailureInternal,
					Error: "An internal error stopped the sync of this order. The details were logged."}})
			}
		}
	}()
	return p.Sync(ctx, b)
}

// record writes every job's results, log entries and end in one
// transaction, with a handful of statements per round rather than several
// per order: the worker's next HubSpot calls wait for this transaction (one
// SQLite connection), and every pause here is rate-limit budget lost.
func (r *Runner) record(ctx context.Context, jobs []models.SyncJob, results []JobResult) error {
	byJob := make(map[int64]JobResult, len(results))
	for _, res := range results {
		byJob[res.JobID] = res
	}
	now := r.clock.Now().UTC()
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var current []models.SyncJob
		if err := tx.Where("id IN ?", jobIDs(jobs)).Find(&current).Error; err != nil {
			return err
		}
		live := make(map[int64]models.SyncJob, len(current))
		for _, j := range current {
			live[j.ID] = j
		}
		var done, replaceAll []int64
		var rows []models.SyncResult
		var logs []models.OrderLog
		for _, j := range jobs {
			res, ok := byJob[j.ID]
			if !ok {
				res = JobResult{JobID: j.ID, Outcome: Outcome{Kind: OutcomeFailed, Mode: models.FailureInternal,
					Error: "The sync provider returned no result for this order."}}
			}
			cur, ok := live[j.ID]
			// A job canceled or re-leased meanwhile records nothing of this run.
			if !ok || cur.State != models.JobInFlight || cur.LeaseOwner != r.owner {
				continue
			}
			if res.Outcome.Kind == OutcomeDone && !cur.Rerun {
				done = append(done, j.ID)
			} else if err := r.q.finishLoadedTx(tx, now, cur, res.Outcome); err != nil {
				return err
			}
			if res.Outcome.Kind == OutcomeDone {
				// A complete run reports every object of the order, so its
				// results replace the order's previous ones wholesale.
				replaceAll = append(replaceAll, j.OrderID)
			} else if err := deleteReplaced(tx, j.OrderID, res.Results); err != nil {
				return err
			}
			for _, sr := range res.Results {
				sr.ID, sr.OrderID, sr.EventID = 0, j.OrderID, j.EventID
				if sr.TransmittedAt.IsZero() {
					sr.TransmittedAt = now
				}
				rows = append(rows, sr)
			}
			for _, l := range res.Log {
				l.ID, l.OrderID = 0, j.OrderID
				if l.Time.IsZero() {
					l.Time = now
				}
				if l.DataJSON == "" {
					l.DataJSON = "{}"
				}
				logs = append(logs, l)
			}
		}
		if len(done) > 0 {
			if err := tx.Where("id IN ?", done).Delete(&models.SyncJob{}).Error; err != nil {
				return err
			}
		}
		if len(replaceAll) > 0 {
			if err := tx.Where("order_id IN ?", replaceAll).Delete(&models.SyncResult{}).Error; err != nil {
				return err
			}
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		if len(logs) > 0 {
			if err := tx.CreateInBatches(logs, 200).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

func jobIDs(jobs []models.SyncJob) []int64 {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}

// deleteReplaced removes the previous results of the objects a partial run
// wrote again, keeping those of objects it did not reach.
func deleteReplaced(tx *gorm.DB, orderID int64, results []models.SyncResult) error {
	for _, sr := range results {
		q := tx.Where("order_id = ? AND mapping_id = ?", orderID, sr.MappingID)
		if sr.PositionID != nil {
			q = q.Where("position_id = ?", *sr.PositionID)
		} else {
			q = q.Where("position_id IS NULL")
		}
		if err := q.Delete(&models.SyncResult{}).Error; err != nil {
			return err
		}
	}
	return nil
}
