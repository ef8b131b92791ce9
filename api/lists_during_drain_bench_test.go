package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	"pretix-hubspot/memlimit"
	"pretix-hubspot/models"
)

// drainProvider stands in for HubSpot in the runner: each round takes as
// long as a round of HubSpot calls does, then reports every order synced
// with three records and a history entry, so the runner records what a real
// drain records, in the same transactions.
type drainProvider struct{ roundTime time.Duration }

func (drainProvider) Name() string        { return "hubspot" }
func (drainProvider) DisplayName() string { return "HubSpot" }

func (p drainProvider) Sync(ctx context.Context, b datasync.Batch) []datasync.JobResult {
	if b.Overlap != nil {
		b.Overlap()
	}
	select {
	case <-time.After(p.roundTime):
	case <-ctx.Done():
	}
	out := make([]datasync.JobResult, len(b.Jobs))
	for i, j := range b.Jobs {
		jr := datasync.JobResult{JobID: j.ID, Outcome: datasync.Outcome{Kind: datasync.OutcomeDone}}
		for m := int64(1); m <= 3; m++ {
			jr.Results = append(jr.Results, models.SyncResult{MappingID: m, Provider: "hubspot", ObjectType: "contacts", IDProperty: "email",
				IDValue: fmt.Sprintf("o%d@example.org", j.OrderID), ExternalID: fmt.Sprint(j.OrderID*10 + m), Action: "created"})
		}
		jr.Log = []models.OrderLog{{Kind: datasync.LogTransferred, Message: "Data transferred to HubSpot", DataJSON: `{"provider":"hubspot"}`}}
		out[i] = jr
	}
	return out
}

// BenchmarkAPIListsDuringDrain100k measures the orders list and the sync
// problems pages of an event with 100,000 orders while the real runner
// drains a backlog of that event into the same database: rounds as
// main.go runs them (datasync.DefaultBatchSize, four in flight), each
// taking as long as HubSpot's calls for it do within the rate limit (about
// 540 orders/s, the rate BenchmarkSyncBacklog drains at;
// the drain's HubSpot side is not what this measures, its writes are). It
// reads back how many orders the drain recorded during the measurement, so
// the figure is known to come from a database under write.
func BenchmarkAPIListsDuringDrain100k(b *testing.B) {
	// main.go's soft memory limit: the pages and the drain share one heap.
	memlimit.Start(config.DefaultMemoryLimitMiB<<20, os.Getenv)
	b.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	db := benchDB(b, 100_000)
	exec := func(q string) {
		if err := db.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO event_providers (event_id, provider, enabled, activated_at, created_at, updated_at)
		SELECT id, 'hubspot', 1, created_at, created_at, created_at FROM pretix_events`)
	// Every 50th order failed for good (the problems pages' rows); all
	// others wait in the bulk backlog the drain works through.
	exec(`INSERT INTO sync_jobs (order_id, event_id, provider, triggered_by, triggered_at, not_before, attempts, state, failure_mode, last_error, cause, updated_at)
		SELECT id, event_id, 'hubspot', 'bulk', datetime, datetime,
			CASE WHEN id % 50 = 0 THEN 1 ELSE 0 END,
			CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'pending' END,
			CASE WHEN id % 50 = 0 THEN 'permanent' ELSE '' END,
			CASE WHEN id % 50 = 0 THEN 'Email address o' || id || '@example is invalid' ELSE '' END,
			CASE WHEN id % 50 = 0 THEN 'permanent|category=VALIDATION_ERROR|codes=[INVALID_EMAIL]' ELSE '' END,
			datetime FROM pretix_orders`)
	exec("ANALYZE")

	const ordersPerSecond, inFlight = 540, 4
	roundTime := time.Duration(datasync.DefaultBatchSize*inFlight) * time.Second / ordersPerSecond
	providers := []datasync.Provider{drainProvider{roundTime: roundTime}}
	srv := newBenchAPI(b, db, providers)
	client := srv.client
	runner := datasync.NewRunner(db, srv.queue, clockwork.NewRealClock(), slog.New(slog.DiscardHandler), providers,
		datasync.RunnerOptions{Owner: "bench", InFlight: inFlight})

	recorded := func() int64 {
		var n int64
		if err := db.Model(&models.SyncResult{}).Distinct("order_id").Count(&n).Error; err != nil {
			b.Fatal(err)
		}
		return n
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Work(ctx) }()
	runner.Poke()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(time.Minute); recorded() == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the drain recorded nothing within a minute")
		}
	}

	ev := srv.url + "/api/organizers/benchorg/events/conf"
	lists := []struct {
		name  string
		urls  []string
		want  string
		p95   time.Duration
		drain int64
	}{
		{name: "api_orders_list_during_drain_p95_ms", want: `"total":`, urls: []string{ev + "/orders", ev + "/orders?status=n",
			ev + "/orders?search=lovelace", ev + "/orders?search=a4711", ev + "/orders?page=1000", ev + "/orders?page_size=200&status=p,n"}},
		{name: "api_sync_problems_during_drain_p95_ms", want: `"data":`, urls: []string{ev + "/sync-problems", ev + "/sync-problems?mode=permanent",
			ev + "/sync-problems?page=10", srv.url + "/api/organizers/benchorg/sync-problems", ev + "/sync-warning"}},
	}
	// Each list is asked for 15 s: long enough to span several of the
	// drain's recording transactions.
	for i := range lists {
		before := recorded()
		var times []time.Duration
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); {
			for _, u := range lists[i].urls {
				times = append(times, benchGET(b, client, u, []byte(lists[i].want)))
			}
		}
		sort.Slice(times, func(x, y int) bool { return times[x] < times[y] })
		lists[i].p95 = times[len(times)*95/100]
		lists[i].drain = recorded() - before
	}
	for _, l := range lists {
		b.Logf("%s: %d orders recorded by the drain while measuring", l.name, l.drain)
		if l.drain == 0 {
			b.Fatalf("%s: the drain recorded nothing while the lists were measured", l.name)
		}
		b.ReportMetric(float64(l.p95.Microseconds())/1000, l.name)
		fmt.Printf("BENCH %s %.1f ms\n", l.name, float64(l.p95.Microseconds())/1000)
	}
}
