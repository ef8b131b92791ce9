package hubspotsync

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"

	"github.com/jonboulle/clockwork"
)

const dietMap = `{"VEG":"vegetarian","GF":"glutenfree","HALAL":"halal"}`

const (
	epRead   = "POST /crm/objects/{version}/contacts/batch/read"
	epCreate = "POST /crm/objects/{version}/contacts/batch/create"
	epUpdate = "POST /crm/objects/{version}/contacts/batch/update"
)

// contactMappings maps the order's buyer and every attendee onto contacts
// with one property per mode.
func (h *harness) contactMappings(extra ...string) {
	rows := append([]string{
		"invoice_address_name_given_name>firstname:overwrite",
		"invoice_address_name_family_name>lastname:if_new",
		"order_code>first_order:if_new",
		"order_code>last_order:overwrite",
		"event_slug>source_event:if_empty",
		"order_code>orders:append",
	}, extra...)
	h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, rows...)
	h.mapping(2, models.SourcePosition, "contacts", "attendee_email", "email", nil, "question_DIET>diets:append:"+dietMap)
}

func TestModesOnNewAndExistingRecords(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	h.fake.SeedRecord(hubA, "contacts", map[string]string{"email": "old@example.org", "firstname": "Olga", "lastname": "Oldname",
		"orders": "PRE", "diets": "halal"})

	h.addOrder(ord{code: "O1", email: "old@example.org", given: "Olivia", family: "Newname", at: t0.Add(1 * time.Hour),
		positions: []pos{{id: 1001, email: "old@example.org", diet: []string{"VEG"}}}})
	h.addOrder(ord{code: "O2", email: "new@example.org", given: "Nina", family: "First", at: t0.Add(2 * time.Hour),
		positions: []pos{{id: 1002, email: "new@example.org", diet: []string{"GF"}}, {id: 1003}}})
	h.addOrder(ord{code: "O3", email: "old@example.org", given: "Oskar", family: "Other", at: t0.Add(3 * time.Hour),
		positions: []pos{{id: 1004, email: "old@example.org", diet: []string{"VEG", "GF"}}}})
	h.addOrder(ord{code: "O4", email: "new@example.org", given: "Nora", family: "Second", at: t0.Add(4 * time.Hour),
		positions: []pos{{id: 1005, email: "NEW@Example.org", diet: []string{"GF"}}}})
	// Queued out of placement order on purpose: the batch sorts them.
	h.sync("O4", "O2", "O3", "O1")
	h.done("O1", "O2", "O3", "O4")

	for _, tc := range []struct {
		email string
		want  map[string]string
	}{
		// Existing record: Overwrite follows the last order, Fill if new
		// leaves it alone (even an empty field), Fill if empty fills the
		// empty field, Add to list appends text and options once.
		{"old@example.org", map[string]string{"firstname": "Oskar", "lastname": "Oldname", "first_order": "", "last_order": "O3",
			"source_event": "conf", "orders": "PRE;O1;O3", "diets": "halal;vegetarian;glutenfree"}},
		// New record, created by O2: O4 sees it existing, as if synced after O2.
		{"new@example.org", map[string]string{"firstname": "Nora", "lastname": "First", "first_order": "O2", "last_order": "O4",
			"source_event": "conf", "orders": "O2;O4", "diets": "glutenfree"}},
	} {
		got := h.contact(hubA, tc.email).Properties
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.email, k, got[k], v)
			}
		}
	}
	if n := len(h.fake.Records(hubA, "contacts")); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
	// One read, one create, one update for four orders.
	if r, c, u := h.requests(epRead), h.requests(epCreate), h.requests(epUpdate); r != 1 || c != 1 || u != 1 {
		t.Errorf("reads %d, creates %d, updates %d; want 1 each", r, c, u)
	}

	// Results say what sequential processing would have done; the empty
	// attendee email is skipped, not an error.
	actions := func(code string) string {
		var out []string
		for _, r := range h.results(code) {
			out = append(out, r.Action)
			if r.Action != actionSkipped && (r.ExternalID == "" || !strings.HasPrefix(r.ExternalLink, "https://app-eu1.hubspot.com/contacts/24681357/record/0-1/")) {
				t.Errorf("%s: result without record link: %+v", code, r)
			}
		}
		return strings.Join(out, ",")
	}
	for code, want := range map[string]string{"O1": "updated,updated", "O2": "created,updated,skipped", "O3": "updated,updated", "O4": "updated,nothing_to_do"} {
		if got := actions(code); got != want {
			t.Errorf("%s actions = %s, want %s", code, got, want)
		}
	}
	logs := h.logs("O2")
	if len(logs) != 1 || logs[0].Kind != datasync.LogTransferred || logs[0].Message != "Data transferred to HubSpot" ||
		!strings.Contains(logs[0].DataJSON, `"link":"https://app-eu1.hubspot.com/contacts/24681357/record/0-1/`) {
		t.Errorf("O2 history = %+v", logs)
	}

	// Syncing everything again changes nothing and sends no write.
	h.sync("O1", "O2", "O3", "O4")
	h.done("O1", "O2", "O3", "O4")
	if c, u := h.requests(epCreate), h.requests(epUpdate); c != 1 || u != 1 {
		t.Errorf("re-sync wrote: creates %d, updates %d", c, u)
	}
	if got := h.contact(hubA, "old@example.org").Properties["orders"]; got != "PRE;O1;O3" {
		t.Errorf("re-sync appended again: orders = %q", got)
	}
	for _, code := range []string{"O1", "O2", "O3", "O4"} {
		for _, r := range h.results(code) {
			if r.Action != actionNothing && r.Action != actionSkipped {
				t.Errorf("%s re-sync action %s", code, r.Action)
			}
		}
		if n := len(h.logs(code)); n != 1 {
			t.Errorf("%s has %d history entries after a no-op re-sync, want 1", code, n)
		}
	}
}

// standardMappings is DESIGN §10's set plus one row per mode: buyer →
// contact, order → deal (associated with the buyer), attendee → contact
// (associated with the deal).
func (h *harness) standardMappings() (buyer, deal, attendee int64) {
	buyer = h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil,
		"invoice_address_name_given_name>firstname:overwrite",
		"invoice_address_name_family_name>lastname:if_new",
		"order_code>first_order:if_new",
		"order_code>last_order:overwrite",
		"event_slug>source_event:if_empty",
		"order_code>orders:append",
		"order_total>spent:append")
	deal = h.mapping(2, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", []int64{buyer},
		"order_code>dealname:overwrite",
		"order_total>amount:overwrite",
		`order_status>dealstage:overwrite:{"p":"closedwon","n":"appointmentscheduled","e":"closedlost","c":"closedlost"}`)
	attendee = h.mapping(3, models.SourcePosition, "contacts", "attendee_email", "email", []int64{deal},
		"attendee_name_given_name>firstname:if_empty",
		"question_DIET>diets:append:"+dietMap,
		"question_TOPIC>orders:append")
	return buyer, deal, attendee
}

// randomOrders makes orders of a few recurring people, so that contacts
// are shared within and across orders.
func (h *harness) randomOrders(n int, seed uint64) []string {
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	people := []string{"ada@example.org", "bob@example.org", "cleo@example.org", "dan@example.org"}
	names := []string{"Ada", "Bob", "Cleo", "Dan", "Eve"}
	diets := []string{"VEG", "GF", "HALAL"}
	var codes []string
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("R%03d", i)
		o := ord{code: code, email: people[rnd.IntN(len(people))], given: names[rnd.IntN(len(names))], family: names[rnd.IntN(len(names))] + "son",
			total: []string{"10.00", "10.0", "20.00"}[rnd.IntN(3)], status: []string{"p", "p", "n", "c"}[rnd.IntN(4)],
			at: t0.Add(time.Duration(i) * time.Minute)}
		for k := 0; k <= rnd.IntN(3); k++ {
			p := pos{id: int64(10000 + i*10 + k), given: names[rnd.IntN(len(names))]}
			if rnd.IntN(4) > 0 {
				p.email = people[rnd.IntN(len(people))]
			}
			for _, d := range diets {
				if rnd.IntN(3) == 0 {
					p.diet = append(p.diet, d)
				}
			}
			if rnd.IntN(2) == 0 {
				p.topic = []string{"go", "svelte", "crm"}[rnd.IntN(3)]
			}
			o.positions = append(o.positions, p)
		}
		h.addOrder(o)
		codes = append(codes, code)
	}
	return codes
}

func (h *harness) outcomes(codes []string) string {
	var out []string
	for _, c := range codes {
		if j := h.job(c); j != nil {
			out = append(out, c+"="+j.State+"/"+j.FailureMode+"/"+j.LastError)
		} else {
			out = append(out, c+"=done")
		}
	}
	return strings.Join(out, "\n")
}

// TestBatchEqualsOneByOne syncs the same orders once as one batch into
// portal A and once order by order into a fresh portal B: records, values,
// list items, associations and which orders fail must be identical.
func TestBatchEqualsOneByOne(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.addProperties(hubB)
	h.connect(hubA)
	h.standardMappings()
	codes := h.randomOrders(30, 42)

	h.sync(codes...)
	batch := h.outcomes(codes)
	batchCalls := h.fake.Stats().Total

	var ids []int64
	h.must(h.db.Model(&models.SyncJob{}).Pluck("id", &ids).Error)
	_, err := h.q.Cancel(h.ctx, ids)
	h.must(err)
	h.connect(hubB)
	h.fake.ResetStats()
	for _, c := range codes {
		h.sync(c)
	}
	single := h.outcomes(codes)
	singleCalls := h.fake.Stats().Total

	if batch != single {
		t.Errorf("outcomes differ\nbatch:\n%s\none by one:\n%s", batch, single)
	}
	a, b := snapshot(h.fake, hubA), snapshot(h.fake, hubB)
	if a != b {
		t.Errorf("portals differ\nbatch:\n%s\n\none by one:\n%s", a, b)
	}
	if !strings.Contains(a, "assoc deals:CONF-R000") || !strings.Contains(a, "diets=") || strings.Count(a, "\ncontacts:") != 4 {
		t.Errorf("the scenario lacks associations, list items or contacts:\n%s", a)
	}
	if !strings.Contains(batch, "permanent/Add to list cannot add to the number property “spent”") {
		t.Errorf("no order hit Add to list on a filled number; the scenario is too tame:\n%s", batch)
	}
	t.Logf("HubSpot calls: batch %d, one by one %d", batchCalls, singleCalls)
	if batchCalls*5 > singleCalls {
		t.Errorf("batch used %d calls, one by one %d: batching saves too little", batchCalls, singleCalls)
	}
}

// overlapLatency is a latency model fast enough for tests and slow and
// uneven enough that concurrent rounds' calls overlap and overtake.
func overlapLatency(seed uint64) hubspotfake.Latency {
	return hubspotfake.Latency{On: true, Seed: seed,
		Read: [2]time.Duration{2 * time.Millisecond, 25 * time.Millisecond}, Write: [2]time.Duration{10 * time.Millisecond, 60 * time.Millisecond},
		Associate: [2]time.Duration{5 * time.Millisecond, 40 * time.Millisecond}, Page: [2]time.Duration{time.Millisecond, 5 * time.Millisecond},
		TailRate: 0.1, TailExtra: [2]time.Duration{50 * time.Millisecond, 100 * time.Millisecond}}
}

// mappingSets are the two kinds of mapping set concurrency treats apart:
// with Add to list rows (a round applies its records together) and without.
var mappingSets = []struct {
	name     string
	mappings func(*harness)
}{
	{"with Add to list", func(h *harness) { h.standardMappings() }},
	{"without Add to list", (*harness).standardSet},
}

// countingProvider records how many Syncs ran at once.
type countingProvider struct {
	*Provider
	mu        sync.Mutex
	now, peak int
}

func (c *countingProvider) Sync(ctx context.Context, b datasync.Batch) []datasync.JobResult {
	c.mu.Lock()
	c.now++
	c.peak = max(c.peak, c.now)
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.now--; c.mu.Unlock() }()
	return c.Provider.Sync(ctx, b)
}

// TestConcurrentBatchesEqualOneByOne syncs the orders in batches of three,
// four batches in flight at once against an emulator that takes its time,
// and order by order into a fresh portal: records, values, list items,
// associations and failures must be identical, although batches sharing a
// contact overlap. With Add to list rows a batch waits for every record it
// shares; without, it writes the others first and upserts deals unread.
func TestConcurrentBatchesEqualOneByOne(t *testing.T) {
	for _, tc := range mappingSets {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{realTime: true, fake: hubspotfake.Options{Latency: overlapLatency(3)}})
			h.addProperties(hubA)
			h.addProperties(hubB)
			h.connect(hubA)
			tc.mappings(h)
			codes := h.randomOrders(30, 42)

			cp := &countingProvider{Provider: h.prov}
			runner := datasync.NewRunner(h.db, h.q, clockwork.NewRealClock(), quiet, []datasync.Provider{cp},
				datasync.RunnerOptions{Owner: "test", BatchSize: 3, InFlight: 4})
			ids := make([]int64, len(codes))
			for i, c := range codes {
				ids[i] = h.orders[c]
			}
			h.fake.ResetStats()
			h.must(h.q.Enqueue(h.ctx, h.event, ids, ProviderName, datasync.TriggerManual, time.Time{}))
			h.must(runner.RunOnce(h.ctx))
			concurrent := h.outcomes(codes)
			if cp.peak < 3 {
				t.Fatalf("at most %d batches synced at once, want the runner's 4 in flight", cp.peak)
			}
			st := h.fake.Stats()
			upserts, dealReads := st.Requests["POST /crm/objects/{version}/deals/batch/upsert"], st.Requests["POST /crm/objects/{version}/deals/batch/read"]
			if upserts == 0 || dealReads != 0 {
				t.Errorf("deal upserts %d, deal reads %d: every deal row is Overwrite, so deals are upserted unread", upserts, dealReads)
			}

			var left []int64
			h.must(h.db.Model(&models.SyncJob{}).Pluck("id", &left).Error)
			_, err := h.q.Cancel(h.ctx, left)
			h.must(err)
			h.connect(hubB)
			for _, c := range codes {
				h.sync(c)
			}
			single := h.outcomes(codes)
			if concurrent != single {
				t.Errorf("outcomes differ\nconcurrent:\n%s\none by one:\n%s", concurrent, single)
			}
			if a, b := snapshot(h.fake, hubA), snapshot(h.fake, hubB); a != b {
				t.Errorf("portals differ\nconcurrent:\n%s\n\none by one:\n%s", a, b)
			}
			t.Logf("up to %d batches at once", cp.peak)
		})
	}
}

// TestLiveRunsBesideABackfill lets live runs (one order each) jump ahead of
// a backfill's overlapping rounds on the same four contacts, against an
// emulator that takes its time: everything must finish (no run waits for
// one that waits for it), each order gets one deal, and no contact exists
// twice.
func TestLiveRunsBesideABackfill(t *testing.T) {
	for _, tc := range mappingSets {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{realTime: true, fake: hubspotfake.Options{Latency: overlapLatency(5)}})
			h.addProperties(hubA)
			h.connect(hubA)
			tc.mappings(h)
			codes := h.randomOrders(60, 9)
			runner := datasync.NewRunner(h.db, h.q, clockwork.NewRealClock(), quiet, []datasync.Provider{h.prov},
				datasync.RunnerOptions{Owner: "test", BatchSize: 3, InFlight: 4})
			var bulk []int64
			for _, c := range codes[:45] {
				bulk = append(bulk, h.orders[c])
			}
			h.must(h.q.Enqueue(h.ctx, h.event, bulk, ProviderName, datasync.TriggerBulk, time.Time{}))
			ctx, cancel := context.WithCancel(h.ctx)
			done := make(chan struct{})
			go func() { defer close(done); runner.Work(ctx) }()
			runner.Poke()
			for _, c := range codes[45:] {
				time.Sleep(15 * time.Millisecond)
				h.must(h.q.Enqueue(h.ctx, h.event, []int64{h.orders[c]}, ProviderName, datasync.TriggerManual, time.Time{}))
				runner.Poke()
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				var open int64
				h.must(h.db.Model(&models.SyncJob{}).Where("state <> ?", models.JobFailed).Count(&open).Error)
				if open == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d jobs still open after a minute: runs wait for each other", open)
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-done
			var failed int64
			h.must(h.db.Model(&models.SyncJob{}).Count(&failed).Error)
			deals := map[string]int{}
			for _, d := range h.fake.Records(hubA, "deals") {
				deals[d.Properties["pretix_order_key"]]++
			}
			if len(deals) != len(codes)-int(failed) {
				t.Errorf("%d deals for %d orders synced", len(deals), len(codes)-int(failed))
			}
			emails := map[string]int{}
			for _, c := range h.fake.Records(hubA, "contacts") {
				emails[strings.ToLower(c.Properties["email"])]++
			}
			for e, n := range emails {
				if n > 1 {
					t.Errorf("contact %s exists %d times", e, n)
				}
			}
			var why []string
			h.must(h.db.Model(&models.SyncJob{}).Distinct("last_error").Pluck("last_error", &why).Error)
			for _, m := range why {
				if !strings.Contains(m, "Add to list cannot add to the number property") {
					t.Errorf("an order failed with %q; only Add to list onto a filled number may fail", m)
				}
			}
			t.Logf("%d deals, %d contacts, %d orders failed (%v)", len(deals), len(emails), failed, why)
		})
	}
}
