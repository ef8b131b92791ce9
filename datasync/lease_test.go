package datasync

import (
	"context"
	"testing"
	"time"

	"pretix-hubspot/models"
)

// TestReclaimDead: a starting process returns at once the jobs its dead
// predecessors on this host held, and leaves live processes' and other
// hosts' leases alone.
func TestReclaimDead(t *testing.T) {
	self := Owner{Host: "box", PID: 100, Nonce: "aaaaaaaa"}
	alive := func(pid int) bool { return pid == 200 || pid == 100 }
	for _, tc := range []struct {
		holder  string
		reclaim bool
	}{
		{"box:300:bbbbbbbb", true},         // dead process on this host
		{"box:300", true},                  // an older version's owner id
		{"box:100:cccccccc", true},         // this pid, another process: a restarted container
		{"box:200:dddddddd", false},        // still running
		{"other:300:eeeeeeee", false},      // another machine: its lease expires instead
		{self.String(), false},             // our own
		{"worker-without-identity", false}, // unknown form: left to the sweeper
	} {
		t.Run(tc.holder, func(t *testing.T) {
			f := newFixture(t, 1)
			ctx := context.Background()
			must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
			if jobs, _ := f.q.Claim(ctx, "test", tc.holder, 10, time.Minute); len(jobs) != 1 {
				t.Fatal("claim")
			}
			n, err := f.q.ReclaimDead(ctx, self, alive)
			must(t, err)
			j := f.job(t, 1)
			if tc.reclaim != (n == 1) || tc.reclaim != (j.State == models.JobPending) {
				t.Fatalf("reclaimed %d, job %+v; want reclaimed=%v", n, j, tc.reclaim)
			}
			if tc.reclaim && (j.LeaseOwner != "" || j.LeasedAt != nil || j.LeaseExpiries != 1) {
				t.Fatalf("reclaimed job %+v", j)
			}
		})
	}
}

// TestRenewKeepsLiveLeases: a renewed lease outlives its first length, a
// lease not renewed is swept.
func TestRenewKeepsLiveLeases(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	must(t, f.q.Enqueue(ctx, 1, []int64{2}, "test", TriggerNewOrder, time.Time{}))
	a, _ := f.q.Claim(ctx, "test", "live", 1, 45*time.Second)
	b, _ := f.q.Claim(ctx, "test", "dead", 1, 45*time.Second)
	if len(a) != 1 || len(b) != 1 {
		t.Fatal("claims")
	}
	if !f.job(t, 1).LeasedAt.Equal(t0) {
		t.Fatalf("leased at %v", f.job(t, 1).LeasedAt)
	}
	for i := 0; i < 4; i++ {
		f.clock.Advance(15 * time.Second)
		if n, err := f.q.Renew(ctx, "live", 45*time.Second); err != nil || n != 1 {
			t.Fatalf("renew: %d %v", n, err)
		}
	}
	n, err := f.q.Sweep(ctx)
	must(t, err)
	if n != 1 || f.job(t, 1).State != models.JobInFlight || f.job(t, 2).State != models.JobPending {
		t.Fatalf("swept %d: %+v / %+v", n, f.job(t, 1), f.job(t, 2))
	}
}

// TestSyncNowTakesOverStaleLease: Sync now on a job whose worker died makes
// it due at once instead of flagging a rerun nobody will run.
func TestSyncNowTakesOverStaleLease(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerNewOrder, time.Time{}))
	f.q.Claim(ctx, "test", "gone", 1, 45*time.Second)
	f.clock.Advance(time.Minute)
	must(t, f.q.Enqueue(ctx, 1, []int64{1}, "test", TriggerManual, time.Time{}))
	if j := f.job(t, 1); j.State != models.JobPending || j.Rerun || j.LeaseOwner != "" {
		t.Fatalf("after Sync now: %+v", j)
	}
	if jobs, _ := f.q.Claim(ctx, "test", "new", 1, 45*time.Second); len(jobs) != 1 {
		t.Fatal("the taken-over job is not claimable")
	}
}
