package datasync

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"pretix-hubspot/models"
)

func TestEnqueueOneRowPerOrderAndRerunWhileInFlight(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2}, "test", TriggerNewOrder, time.Time{}))
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2}, "test", TriggerChanged, time.Time{}))
	var n int64
	f.db.Model(&models.SyncJob{}).Count(&n)
	if n != 2 {
		t.Fatalf("%d jobs, want 2", n)
	}
	jobs, err := f.q.Claim(ctx, "test", "w1", 10, time.Minute)
	must(t, err)
	if len(jobs) != 2 {
		t.Fatalf("claimed %d", len(jobs))
	}
	// Re-enqueueing an in-flight job flags it instead of adding a row.
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerManual, time.Time{}))
	if j := f.job(t, 1); j.State != models.JobInFlight || !j.Rerun {
		t.Fatalf("job 1 = %+v", j)
	}
	must(t, f.q.Finish(ctx, jobs[0].ID, "w1", Outcome{Kind: OutcomeDone}))
	must(t, f.q.Finish(ctx, jobs[1].ID, "w1", Outcome{Kind: OutcomeDone}))
	if j := f.job(t, 1); j == nil || j.State != models.JobPending || j.Rerun {
		t.Fatalf("rerun job after done = %+v", j)
	}
	if j := f.job(t, 2); j != nil {
		t.Fatalf("done job still there: %+v", j)
	}
}

func TestClaimSkipsNotDueLeasedAndDisabledEvents(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	must(t, f.q.Enqueue(ctx, 1, []int64{2}, "test", TriggerNewOrder, t0.Add(time.Hour)))
	jobs, err := f.q.Claim(ctx, "test", "w1", 10, time.Minute)
	must(t, err)
	if len(jobs) != 1 || jobs[0].OrderID != 1 {
		t.Fatalf("claimed %+v", jobs)
	}
	// A second worker gets nothing: the due job is leased.
	if again, _ := f.q.Claim(ctx, "test", "w2", 10, time.Minute); len(again) != 0 {
		t.Fatalf("double claim %+v", again)
	}
	// Disabling the plugin pauses the event's jobs without deleting them.
	must(t, f.db.Exec(`UPDATE event_providers SET enabled = 0`).Error)
	must(t, f.q.Enqueue(ctx, 1, []int64{3}, "test", TriggerManual, time.Time{}))
	if got, _ := f.q.Claim(ctx, "test", "w2", 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed while disabled: %+v", got)
	}
	if f.job(t, 3) == nil {
		t.Fatal("job of a disabled event was dropped")
	}
}

func TestTemporaryFailuresBackOffThenExceed(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	var total time.Duration
	for attempt := 1; attempt <= DefaultRetryPolicy.MaxAttempts; attempt++ {
		jobs, err := f.q.Claim(ctx, "test", "w", 10, time.Minute)
		must(t, err)
		if len(jobs) != 1 {
			t.Fatalf("attempt %d: claimed %d", attempt, len(jobs))
		}
		must(t, f.q.Finish(ctx, jobs[0].ID, "w", Outcome{Kind: OutcomeTemporary, Error: "HubSpot answered 502"}))
		j := f.job(t, 1)
		if attempt < DefaultRetryPolicy.MaxAttempts {
			if j.State != models.JobPending || j.Attempts != attempt || !j.NotBefore.After(f.clock.Now()) {
				t.Fatalf("after attempt %d: %+v", attempt, j)
			}
			wait := j.NotBefore.Sub(f.clock.Now())
			total += wait
			f.clock.Advance(wait)
		} else if j.State != models.JobFailed || j.FailureMode != models.FailureExceeded || j.LastError != "HubSpot answered 502" {
			t.Fatalf("final: %+v", j)
		}
	}
	if total < 3*time.Hour || total > 5*time.Hour {
		t.Fatalf("retries spread over %v, want about 4h", total)
	}
}

func TestWaitDoesNotSpendAttempts(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	for i := 0; i < 10; i++ {
		jobs, _ := f.q.Claim(ctx, "test", "w", 10, time.Minute)
		must(t, f.q.Finish(ctx, jobs[0].ID, "w", Outcome{Kind: OutcomeWait, RetryAfter: f.clock.Now().Add(10 * time.Second), WaitReason: "HubSpot rate limit"}))
		f.clock.Advance(10 * time.Second)
	}
	if j := f.job(t, 1); j.Attempts != 0 || j.State != models.JobPending || j.WaitReason != "HubSpot rate limit" {
		t.Fatalf("%+v", j)
	}
}

func TestSweepReturnsExpiredLeasesThenFailsInternal(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	for round := 1; round <= 2; round++ {
		jobs, _ := f.q.Claim(ctx, "test", "dead", 10, time.Minute)
		if len(jobs) != 1 {
			t.Fatalf("round %d: claimed %d", round, len(jobs))
		}
		if n, _ := f.q.Sweep(ctx); n != 0 {
			t.Fatal("swept a live lease")
		}
		f.clock.Advance(2 * time.Minute)
		if n, err := f.q.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		// The dead worker's late Finish must not write anything.
		if err := f.q.Finish(ctx, jobs[0].ID, "dead", Outcome{Kind: OutcomeDone}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("late finish: %v", err)
		}
	}
	if j := f.job(t, 1); j.State != models.JobFailed || j.FailureMode != models.FailureInternal {
		t.Fatalf("%+v", j)
	}
}

func TestRetryAndCancel(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2}, "test", TriggerNewOrder, time.Time{}))
	jobs, _ := f.q.Claim(ctx, "test", "w", 10, time.Minute)
	for _, j := range jobs {
		must(t, f.q.Finish(ctx, j.ID, "w", Outcome{Kind: OutcomeFailed, Mode: models.FailurePermanent, Error: "Property values were not valid"}))
	}
	if j := f.job(t, 1); j.State != models.JobFailed || j.FailureMode != models.FailurePermanent {
		t.Fatalf("%+v", j)
	}
	if n, err := f.q.Retry(ctx, []int64{f.job(t, 1).ID}); err != nil || n != 1 {
		t.Fatalf("retry %d %v", n, err)
	}
	if j := f.job(t, 1); j.State != models.JobPending || j.Attempts != 0 || j.LastError != "" || j.TriggeredBy != TriggerRetry {
		t.Fatalf("after retry %+v", j)
	}
	if n, err := f.q.Cancel(ctx, []int64{f.job(t, 2).ID}); err != nil || n != 1 {
		t.Fatalf("cancel %d %v", n, err)
	}
	if f.job(t, 2) != nil {
		t.Fatal("canceled job remains")
	}
}

func TestRetryPolicyDelayGrows(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, Base: time.Minute, Factor: 3}
	for i, want := range []time.Duration{time.Minute, 3 * time.Minute, 9 * time.Minute, 27 * time.Minute} {
		if got := p.Delay(i+1, nil); got != want {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, want)
		}
	}
}

func TestTimesAreStoredInUTC(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	berlin := time.FixedZone("CET", 3600)
	// Due in 30 minutes, given in another zone: as text the local time
	// would sort after "now" for an hour too long.
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, f.clock.Now().Add(30*time.Minute).In(berlin)))
	f.clock.Advance(31 * time.Minute)
	jobs, err := f.q.Claim(ctx, "test", "w", 10, time.Minute)
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("job due in another zone not claimed: %d", len(jobs))
	}
	must(t, f.q.Finish(ctx, jobs[0].ID, "w", Outcome{Kind: OutcomeWait, RetryAfter: f.clock.Now().Add(10 * time.Second).In(berlin)}))
	f.clock.Advance(11 * time.Second)
	if jobs, _ := f.q.Claim(ctx, "test", "w", 10, time.Minute); len(jobs) != 1 {
		t.Fatalf("waiting job given in another zone not claimed after its wait: %d", len(jobs))
	}
}

// An automatic trigger may push a pending job later but never brings it
// forward; people (Sync now) and failed jobs get a fresh start now.
func TestEnqueueNotBeforeByTrigger(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	later, muchLater := t0.Add(time.Hour), t0.Add(2*time.Hour)
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3}, "test", TriggerNewOrder, later))
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerChanged, t0))        // earlier: kept
	must(t, f.q.Enqueue(ctx, 1, []int64{2}, "test", TriggerChanged, muchLater)) // later: moved
	must(t, f.q.Enqueue(ctx, 1, []int64{3}, "test", TriggerManual, time.Time{}))
	for _, c := range []struct {
		order int64
		want  time.Time
	}{{1, later}, {2, muchLater}, {3, t0}} {
		if j := f.job(t, c.order); !j.NotBefore.Equal(c.want) || j.State != models.JobPending {
			t.Errorf("order %d: not before %v (%s), want %v", c.order, j.NotBefore, j.State, c.want)
		}
	}
}

// Orders from webhooks, Sync now and Retry are claimed before a backfill's,
// in a round of their own.
func TestClaimLiveLaneFirst(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3}, "test", TriggerBulk, time.Time{}))
	f.clock.Advance(time.Second)
	must(t, f.q.Enqueue(ctx, 1, []int64{4}, "test", TriggerManual, time.Time{}))
	must(t, f.q.Enqueue(ctx, 1, []int64{5}, "test", TriggerNewOrder, time.Time{}))
	for _, want := range [][]int64{{4, 5}, {1, 2, 3}, nil} {
		jobs, err := f.q.Claim(ctx, "test", "w", 10, time.Minute)
		must(t, err)
		var got []int64
		for _, j := range jobs {
			got = append(got, j.OrderID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("claimed %v, want %v", got, want)
		}
	}
}
