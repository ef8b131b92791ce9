package hubspotsync

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

// TestHelperWorker is the name worker processes are started with; TestMain
// turns them into workers before any test runs (see workerMain), so in a
// normal test run this test only checks that the binary can find it.
func TestHelperWorker(t *testing.T) {
	if cmd := workerCmd(t, workerConfig{}); len(cmd.Args) != 2 || cmd.Args[1] != "-test.run=^TestHelperWorker$" {
		t.Fatalf("worker command %v", cmd.Args)
	}
}

// TestKillMidRunSyncsEveryOrderExactlyOnce kills a worker process with
// SIGKILL in the middle of a run, after a batch it still held had been
// written to HubSpot, against a HubSpot that also fails one request in five
// (5xx, 429 with HubSpot's body, 423, connections reset before or after the
// write was applied, and answers slower than the client waits), starts
// another, and checks that the dead worker's jobs ran again within 30 s and
// every order ended up in HubSpot exactly once: one contact per person, one
// deal per order, and no list item added twice.
func TestKillMidRunSyncsEveryOrderExactlyOnce(t *testing.T) {
	rep := crashAndRecover(t, hubspotfake.Faults{ServerErrorRate: 0.06, RateLimitRate: 0.04, LockedRate: 0.03, ResetRate: 0.05,
		SlowRate: 0.02, Slow: 2 * time.Second, LatencyRate: 1, Latency: 15 * time.Millisecond}, time.Second)
	if rep.recovery > 30*time.Second {
		t.Errorf("the dead worker's jobs ran again after %v, want within 30 s", rep.recovery)
	}
}

// BenchmarkCrashRecovery: how long after a kill -9 and a restart the dead
// worker's jobs run again, against a HubSpot that answers in 250 ms.
func BenchmarkCrashRecovery(b *testing.B) {
	rep := crashAndRecover(b, hubspotfake.Faults{LatencyRate: 1, Latency: 250 * time.Millisecond}, 0)
	fmt.Printf("BENCH crash_recovery_s %.2f s\n", rep.recovery.Seconds())
	fmt.Printf("BENCH crash_recovery_jobs %d jobs\n", rep.reclaimed)
}

type crashReport struct {
	recovery  time.Duration // kill → none of the dead worker's jobs still leased to it
	reclaimed int64         // jobs the dead worker held
}

// crashAndRecover runs the kill-and-restart scenario and checks that every
// order ended in HubSpot exactly once.
func crashAndRecover(tb testing.TB, faults hubspotfake.Faults, clientTimeout time.Duration) crashReport {
	h := newHarness(tb, harnessOpts{realTime: true})
	h.addProperties(hubA)
	h.connect(hubA)
	buyer := h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil,
		"invoice_address_name_given_name>firstname:overwrite",
		"event_slug>source_event:if_empty",
		"order_code>orders:append")
	deal := h.mapping(2, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", []int64{buyer},
		"order_code>dealname:overwrite", "order_total>amount:overwrite")
	h.mapping(3, models.SourcePosition, "contacts", "attendee_email", "email", []int64{deal},
		"ticket_id>tickets:append", "question_DIET>diets:append:"+dietMap)

	rnd := rand.New(rand.NewPCG(11, 12))
	people := make([]string, 30)
	for i := range people {
		people[i] = fmt.Sprintf("person%02d@example.org", i)
	}
	wantOrders := map[string][]string{}  // email → order codes bought
	wantTickets := map[string][]string{} // email → ticket ids attended
	buyerOf := map[string]string{}
	var ids []int64
	const n = 160
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("K%04d", i)
		o := ord{code: code, email: people[rnd.IntN(len(people))], given: "G" + code, family: "F", at: t0.Add(time.Duration(i) * time.Second)}
		for k := 0; k <= rnd.IntN(3); k++ {
			p := pos{id: int64(50000 + i*10 + k), email: people[rnd.IntN(len(people))]}
			if rnd.IntN(3) == 0 {
				p.diet = []string{"VEG"}
			}
			o.positions = append(o.positions, p)
			wantTickets[p.email] = append(wantTickets[p.email], fmt.Sprintf("%s-%d", code, k+1))
		}
		wantOrders[o.email] = append(wantOrders[o.email], code)
		buyerOf[code] = o.email
		ids = append(ids, h.addOrder(o))
	}
	h.must(h.q.Enqueue(h.ctx, h.event, ids, ProviderName, datasync.TriggerBulk, time.Time{}))
	h.fake.SetFaults(faults)
	h.fake.ResetStats()

	// The production lease: recovery must not depend on it expiring.
	cfg := workerConfig{DB: h.dbPath, APIBase: h.ts.URL, ClientID: h.fake.ClientID(), ClientSecret: h.fake.ClientSecret(),
		BatchSize: 40, RetryBase: 200 * time.Millisecond, MaxAttempts: 12, Deadline: 3 * time.Minute, ClientTimeout: clientTimeout}
	first := workerCmd(tb, cfg)
	h.must(first.Start())

	// Kill once HubSpot holds a deal of an order whose job the worker still
	// has in flight: the restart must cope with writes it cannot know of.
	writtenInFlight := func() (string, bool) {
		var codes []string
		h.must(h.db.Table("pretix_orders").Joins("JOIN sync_jobs ON sync_jobs.order_id = pretix_orders.id").
			Where("sync_jobs.state = ?", models.JobInFlight).Pluck("pretix_orders.code", &codes).Error)
		have := map[string]bool{}
		for _, r := range h.fake.Records(hubA, "deals") {
			have[r.Properties["pretix_order_key"]] = true
		}
		for _, c := range codes {
			if have["CONF-"+c] {
				return c, true
			}
		}
		return "", false
	}
	deadline := time.Now().Add(time.Minute)
	var written string
	for {
		if c, ok := writtenInFlight(); ok {
			written = c
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("the worker wrote no in-flight order to HubSpot within a minute")
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.must(first.Process.Kill()) // SIGKILL: no deferred code, no clean-up
	killedAt := time.Now()
	err := first.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		tb.Fatalf("first worker ended with %v, want killed", err)
	}
	var deadOwners []string
	h.must(h.db.Model(&models.SyncJob{}).Where("state = ?", models.JobInFlight).Distinct().Pluck("lease_owner", &deadOwners).Error)
	var inFlight, open int64
	h.must(h.db.Model(&models.SyncJob{}).Where("state = ?", models.JobInFlight).Count(&inFlight).Error)
	h.must(h.db.Model(&models.SyncJob{}).Count(&open).Error)
	if inFlight == 0 || len(deadOwners) != 1 {
		tb.Fatalf("killed at the wrong moment: %d jobs in flight (owners %v), %d of %d open", inFlight, deadOwners, open, n)
	}
	tb.Logf("killed with %d jobs in flight, %d open; order %s was already in HubSpot", inFlight, open, written)

	second := workerCmd(tb, cfg)
	var out bytes.Buffer
	second.Stdout = &out
	h.must(second.Start())
	var recovery time.Duration
	for {
		var held int64
		h.must(h.db.Model(&models.SyncJob{}).Where("state = ? AND lease_owner = ?", models.JobInFlight, deadOwners[0]).Count(&held).Error)
		if held == 0 {
			recovery = time.Since(killedAt)
			break
		}
		if time.Since(killedAt) > 2*time.Minute {
			tb.Fatalf("%d jobs still leased to the dead worker after 2 minutes", held)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := second.Wait(); err != nil {
		tb.Fatalf("second worker: %v", err)
	}
	rep := parseReport(tb, out.Bytes())
	if rep.Failed != 0 {
		tb.Fatalf("%d jobs failed: %s", rep.Failed, h.outcomes(sortedKeys(buyerOf)))
	}
	st := h.fake.Stats()
	tb.Logf("recovered in %v; second worker: %+v; emulator: %d requests, %d faults, statuses %v", recovery, rep, st.Total, st.Faults, st.Statuses)
	if faults.ServerErrorRate > 0 && st.Faults == 0 {
		tb.Error("no fault was injected")
	}
	var left int64
	h.must(h.db.Model(&models.SyncJob{}).Count(&left).Error)
	if left != 0 {
		tb.Fatalf("%d jobs left", left)
	}

	contacts := map[string]hubspotfake.Record{}
	for _, r := range h.fake.Records(hubA, "contacts") {
		e := r.Properties["email"]
		if _, dup := contacts[e]; dup {
			tb.Errorf("duplicate contact %s", e)
		}
		contacts[e] = r
	}
	for _, e := range people {
		if len(wantOrders[e]) == 0 && len(wantTickets[e]) == 0 {
			continue
		}
		r, ok := contacts[e]
		if !ok {
			tb.Errorf("no contact %s", e)
			continue
		}
		checkList(tb, e+" orders", r.Properties["orders"], wantOrders[e])
		checkList(tb, e+" tickets", r.Properties["tickets"], wantTickets[e])
	}
	deals := map[string]bool{}
	for _, r := range h.fake.Records(hubA, "deals") {
		k := r.Properties["pretix_order_key"]
		if deals[k] {
			tb.Errorf("duplicate deal %s", k)
		}
		deals[k] = true
		code := strings.TrimPrefix(k, "CONF-")
		if _, ok := h.fake.Associations(hubA, "deals", r.ID, "contacts")[contacts[buyerOf[code]].ID]; !ok {
			tb.Errorf("deal %s not associated with its buyer", k)
		}
	}
	if len(deals) != n {
		tb.Errorf("%d deals, want %d", len(deals), n)
	}
	return crashReport{recovery: recovery, reclaimed: inFlight}
}

// checkList asserts a ";"-list holds exactly the wanted items, each once.
func checkList(t testing.TB, what, got string, want []string) {
	t.Helper()
	items := strings.Split(got, ";")
	if got == "" {
		items = nil
	}
	g := append([]string(nil), items...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, ";") != strings.Join(w, ";") {
		t.Errorf("%s = %q, want each of %v once", what, got, want)
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
