package datasync

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"pretix-hubspot/models"
)

// scriptedProvider answers each order with a scripted outcome.
type scriptedProvider struct {
	outcome func(orderID int64) JobResult
	batches []int // sizes of the batches it received
	panics  bool
}

func (p *scriptedProvider) Name() string        { return "test" }
func (p *scriptedProvider) DisplayName() string { return "Test CRM" }
func (p *scriptedProvider) Sync(ctx context.Context, b Batch) []JobResult {
	p.batches = append(p.batches, len(b.Jobs))
	if p.panics {
		panic("boom")
	}
	var out []JobResult
	for _, j := range b.Jobs {
		if b.Orders[j.OrderID] == nil {
			panic("order not loaded")
		}
		r := p.outcome(j.OrderID)
		r.JobID = j.ID
		out = append(out, r)
	}
	return out
}

func TestRunnerRecordsResultsLogAndOutcomes(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	p := &scriptedProvider{outcome: func(id int64) JobResult {
		switch id {
		case 1:
			return JobResult{Outcome: Outcome{Kind: OutcomeDone},
				Results: []models.SyncResult{{MappingID: 7, Provider: "test", ObjectType: "contacts", IDProperty: "email", IDValue: "a@example.org", ExternalID: "101", Action: "created"}},
				Log:     []models.OrderLog{{Kind: LogTransferred, Message: "Data transferred to Test CRM"}}}
		case 2:
			return JobResult{Outcome: Outcome{Kind: OutcomeTemporary, Error: "timeout"}}
		default:
			return JobResult{Outcome: Outcome{Kind: OutcomeFailed, Mode: models.FailurePermanent, Error: "INVALID_EMAIL"},
				Log: []models.OrderLog{{Kind: LogError, Message: "Error while transferring data to Test CRM: INVALID_EMAIL"}}}
		}
	}}
	r := NewRunner(f.db, f.q, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), []Provider{p}, RunnerOptions{BatchSize: 2})
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3}, "test", TriggerNewOrder, time.Time{}))
	must(t, r.RunOnce(ctx))

	if len(p.batches) != 2 || p.batches[0] != 2 || p.batches[1] != 1 {
		t.Fatalf("batches %v, want [2 1]", p.batches)
	}
	if f.job(t, 1) != nil {
		t.Fatal("done job remains")
	}
	if j := f.job(t, 2); j.State != models.JobPending || j.Attempts != 1 {
		t.Fatalf("job 2 %+v", j)
	}
	if j := f.job(t, 3); j.State != models.JobFailed || j.FailureMode != models.FailurePermanent {
		t.Fatalf("job 3 %+v", j)
	}
	var res []models.SyncResult
	f.db.Find(&res)
	if len(res) != 1 || res[0].OrderID != 1 || res[0].ExternalID != "101" {
		t.Fatalf("results %+v", res)
	}
	var logs []models.OrderLog
	f.db.Order("order_id").Find(&logs)
	if len(logs) != 2 || logs[0].OrderID != 1 || logs[1].OrderID != 3 {
		t.Fatalf("logs %+v", logs)
	}

	// A re-sync replaces the result of the same object instead of adding one.
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerManual, time.Time{}))
	must(t, r.RunOnce(ctx))
	f.db.Find(&res)
	if len(res) != 1 {
		t.Fatalf("results after re-sync: %d", len(res))
	}
}

func TestRunnerSurvivesProviderPanic(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	p := &scriptedProvider{panics: true}
	r := NewRunner(f.db, f.q, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), []Provider{p}, RunnerOptions{})
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2}, "test", TriggerNewOrder, time.Time{}))
	must(t, r.RunOnce(ctx))
	for _, id := range []int64{1, 2} {
		if j := f.job(t, id); j.State != models.JobFailed || j.FailureMode != models.FailureInternal {
			t.Fatalf("job %d %+v", id, j)
		}
	}
}

func TestRunnerSkipsJobCanceledMidRun(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	var r *Runner
	p := &scriptedProvider{}
	p.outcome = func(id int64) JobResult {
		// The user cancels while the provider works.
		var j models.SyncJob
		f.db.Where("order_id = ?", id).First(&j)
		f.q.Cancel(ctx, []int64{j.ID})
		return JobResult{Outcome: Outcome{Kind: OutcomeDone}, Log: []models.OrderLog{{Kind: LogTransferred, Message: "x"}}}
	}
	r = NewRunner(f.db, f.q, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), []Provider{p}, RunnerOptions{})
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	must(t, r.RunOnce(ctx))
	var n int64
	f.db.Model(&models.OrderLog{}).Count(&n)
	if n != 0 || f.job(t, 1) != nil {
		t.Fatalf("log entries %d, job %+v", n, f.job(t, 1))
	}
}

// blockingProvider waits until its context ends, like a provider stuck in
// HubSpot calls when the process is asked to stop.
type blockingProvider struct{ started chan struct{} }

func (p *blockingProvider) Name() string        { return "test" }
func (p *blockingProvider) DisplayName() string { return "Test CRM" }
func (p *blockingProvider) Sync(ctx context.Context, b Batch) []JobResult {
	close(p.started)
	<-ctx.Done()
	return nil
}

func TestShutdownReleasesJobsAtOnce(t *testing.T) {
	f := newFixture(t, 2)
	must(t, f.q.Enqueue(context.Background(), 1, []int64{1, 2}, "test", TriggerNewOrder, time.Time{}))
	p := &blockingProvider{started: make(chan struct{})}
	r := NewRunner(f.db, f.q, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), []Provider{p}, RunnerOptions{Owner: "w1"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.RunOnce(ctx) }()
	<-p.started
	cancel()
	if err := <-done; err == nil {
		t.Fatal("RunOnce ignored the cancellation")
	}
	for _, id := range []int64{1, 2} {
		if j := f.job(t, id); j.State != models.JobPending || j.LeaseOwner != "" || j.NotBefore.After(f.clock.Now()) || j.LeaseExpiries != 0 {
			t.Fatalf("job %d after shutdown: %+v", id, j)
		}
	}
}

// gatedProvider lets its first batch go on only when released, and notes
// the status each order had when its batch started.
type gatedProvider struct {
	release chan struct{}
	mu      sync.Mutex
	seen    map[int64]string
	first   bool
}

func (p *gatedProvider) Name() string        { return "test" }
func (p *gatedProvider) DisplayName() string { return "Test CRM" }
func (p *gatedProvider) Sync(ctx context.Context, b Batch) []JobResult {
	p.mu.Lock()
	for _, j := range b.Jobs {
		p.seen[j.OrderID] = b.Orders[j.OrderID].Status
	}
	gate := !p.first
	p.first = true
	p.mu.Unlock()
	if b.Overlap != nil {
		b.Overlap()
	}
	if gate {
		<-p.release
	}
	out := make([]JobResult, len(b.Jobs))
	for i, j := range b.Jobs {
		out[i] = JobResult{JobID: j.ID, Outcome: Outcome{Kind: OutcomeDone}}
	}
	return out
}

// A claimed round reads its orders when it starts: an order that changed
// while its round waited for its turn is synced as it is now.
func TestRoundReadsItsOrdersWhenItStarts(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	p := &gatedProvider{release: make(chan struct{}), seen: map[int64]string{}}
	r := NewRunner(f.db, f.q, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), []Provider{p}, RunnerOptions{BatchSize: 1, InFlight: 1})
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2}, "test", TriggerBulk, time.Time{})) // a bulk lane: one round in flight
	done := make(chan error, 1)
	go func() { done <- r.RunOnce(ctx) }()
	// The second round is claimed while the first still syncs.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if j := f.job(t, 2); j != nil && j.State == models.JobInFlight {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second round was not claimed while the first synced")
		}
	}
	must(t, f.db.Exec(`UPDATE pretix_orders SET status = 'c' WHERE id = 2`).Error)
	close(p.release)
	must(t, <-done)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[1] != "p" || p.seen[2] != "c" {
		t.Fatalf("statuses seen %v, want order 2 as changed while its round waited (c)", p.seen)
	}
}
