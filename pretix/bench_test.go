package pretix

import (
	"context"
	"fmt"
	"math/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/secret"
)

// benchEmu starts a real-clock emulator with n generated orders split over
// the two events.
func benchEmu(b *testing.B, opts pretixfake.Options, n int) *emu {
	b.Helper()
	opts.Clock = clockwork.NewRealClock()
	f := pretixfake.New(opts)
	b.Cleanup(f.Close)
	f.AddOrganizer(testOrg, "ACME Events")
	if err := f.AddToken(testOrg, testToken, pretixfake.Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		b.Fatal(err)
	}
	for _, ev := range []string{"conf", "series"} {
		if err := f.SeedEvent(testOrg, ev, pretixfake.EventSpec{HasSubevents: ev == "series", Locales: []string{"en", "de"}}); err != nil {
			b.Fatal(err)
		}
	}
	rnd := rand.New(rand.NewSource(99))
	if _, err := f.GenerateOrders(testOrg, "conf", n*3/4, rnd); err != nil {
		b.Fatal(err)
	}
	if _, err := f.GenerateOrders(testOrg, "series", n-n*3/4, rnd); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(f.Handler())
	b.Cleanup(hs.Close)
	return &emu{Fake: f, HTTP: hs}
}

// benchOrganizer stores an organizer row directly, so a benchmark times the
// pull alone.
func benchOrganizer(b *testing.B, db *gorm.DB, box *secret.Box, base string) int64 {
	b.Helper()
	u, err := pretixapi.NormalizeBaseURL(base, false)
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := box.Seal(testToken)
	sec, _ := box.Seal("bench-webhook-secret-0123456789")
	now := time.Now().UTC()
	org := models.PretixOrganizer{BaseURL: u.String(), Slug: testOrg, Name: "ACME Events", TokenSealed: tok,
		WebhookSecretSealed: sec, WebhookSecretHash: hashSecret("bench-webhook-secret-0123456789"), CreatedAt: now, UpdatedAt: now}
	if err := db.Create(&org).Error; err != nil {
		b.Fatal(err)
	}
	return org.ID
}

// BenchmarkIngestOrdersPerSecond pulls 5,000 orders from the emulator with
// its rate limit off into a fresh database: HTTP, JSON decoding, change
// classification and SQLite writes, one transaction per page.
func BenchmarkIngestOrdersPerSecond(b *testing.B) {
	const n = 5000
	e := benchEmu(b, pretixfake.Options{NoRateLimit: true}, n)
	var total time.Duration
	var orders int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := openDB(b)
		box := testBox(b)
		svc := NewService(Config{DB: db, Box: box, RateLimit: -1, Log: quietLog})
		id := benchOrganizer(b, db, box, e.HTTP.URL)
		b.StartTimer()
		start := time.Now()
		res, err := svc.Puller().Pull(context.Background(), id)
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.New < n*9/10 {
			b.Fatalf("only %d new orders", res.New)
		}
		orders += res.New
		b.StopTimer()
		svc.Close()
		b.StartTimer()
	}
	perSec := float64(orders) / total.Seconds()
	b.ReportMetric(perSec, "orders/s")
	fmt.Printf("BENCH pretix_ingest_orders_per_s %.0f orders/s\n", perSec)
}

// BenchmarkIngestRateLimitUse pulls 5,000 orders in real time from the
// emulator limited like pretix.eu (360 requests/minute per organizer, a
// bucket of 6) with the client's default pacing, and reports how much of
// the capacity the limiter offered was used: requests answered / (burst +
// 6/s × the time from the first to the last request). 1.0 means the pull ran
// exactly at the limit; 429s are counted separately and should be 0.
func BenchmarkIngestRateLimitUse(b *testing.B) {
	const n = 5000
	e := benchEmu(b, pretixfake.Options{}, n)
	perMin, burst, _ := e.Fake.RateLimit()
	var ratio float64
	var limited int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.Fake.SetRateLimit(perMin, burst) // a full bucket per run
		e.Fake.ResetStats()
		db := openDB(b)
		box := testBox(b)
		svc := NewService(Config{DB: db, Box: box, Log: quietLog})
		id := benchOrganizer(b, db, box, e.HTTP.URL)
		b.StartTimer()
		res, err := svc.Puller().Pull(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		svc.Close()
		log := e.Fake.RequestLog(testOrg)
		ok := 0
		limited = 0
		for _, r := range log {
			if r.Status == 429 {
				limited++
			} else {
				ok++
			}
		}
		span := log[len(log)-1].At.Sub(log[0].At).Seconds()
		capacity := float64(burst) + float64(perMin)/60*span
		ratio = float64(ok) / capacity
		b.Logf("%d orders, %d requests (%d answered 429) in %.1f s; capacity %.1f requests", res.New, len(log), limited, span, capacity)
		b.StartTimer()
	}
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(float64(limited), "429s")
	fmt.Printf("BENCH pretix_ingest_rate_limit_use %.3f ratio\n", ratio)
}

// listBench is the 100,000-order database, seeded once per test binary
// because the benchmark function runs several times.
var listBench struct {
	once           sync.Once
	db             *gorm.DB
	box            *secret.Box
	orgID, eventID int64
	dir            string
}

// BenchmarkListOrders100k measures the orders list (first page, a status
// filter, two searches, a deep page, all events) with 100,000 stored orders;
// every iteration runs each query ten times, and the 95th percentile over
// all of them is printed.
func BenchmarkListOrders100k(b *testing.B) {
	listBench.once.Do(func() {
		dir, err := os.MkdirTemp("", "pretix-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		listBench.dir = dir
		if listBench.db, err = models.Open(filepath.Join(dir, "db.sqlite")); err != nil {
			b.Fatal(err)
		}
		listBench.box = testBox(b)
		listBench.orgID = benchOrganizer(b, listBench.db, listBench.box, "https://pretix.example")
		listBench.eventID = seedOrders(b, listBench.db, listBench.orgID, 100_000)
	})
	if listBench.db == nil {
		b.Fatal("seeding failed")
	}
	svc := NewService(Config{DB: listBench.db, Box: listBench.box, Log: quietLog})
	defer svc.Close()
	orgID, eventID := listBench.orgID, listBench.eventID
	ctx := context.Background()
	queries := []OrderListQuery{
		{OrganizerID: orgID, EventID: eventID},
		{OrganizerID: orgID, EventID: eventID, Status: []string{"n"}},
		{OrganizerID: orgID, EventID: eventID, Search: "lovelace"},
		{OrganizerID: orgID, EventID: eventID, Search: "a4711"},
		{OrganizerID: orgID, EventID: eventID, Page: 1000},
		{OrganizerID: orgID},
	}
	// One unmeasured round warms SQLite's page cache, as a running server's
	// would be.
	for _, q := range queries {
		if _, err := svc.ListOrders(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for round := 0; round < 10; round++ {
			for _, q := range queries {
				start := time.Now()
				if _, err := svc.ListOrders(ctx, q); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	p95 := times[len(times)*95/100]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	fmt.Printf("BENCH pretix_orders_list_p95_ms %.1f ms\n", float64(p95.Microseconds())/1000)
}

// seedOrders inserts n orders with realistic list columns and a 3 KB raw
// JSON straight into the table (ingesting 100,000 through the API would take
// a minute and measure something else).
func seedOrders(b *testing.B, db *gorm.DB, orgID int64, n int) int64 {
	b.Helper()
	now := time.Now().UTC()
	ev := models.PretixEvent{OrganizerID: orgID, Slug: "conf", NameJSON: `{"en":"Conf"}`, Currency: "EUR", InPretix: true, CreatedAt: now, UpdatedAt: now}
	if err := db.Create(&ev).Error; err != nil {
		b.Fatal(err)
	}
	raw := `{"code":"X","padding":"` + strings.Repeat("x", 3000) + `"}`
	names := []string{"Ada Lovelace", "Zoë Müller", "José Núñez", "Grace Hopper", "李小龍", "Søren Kierkegaard"}
	statuses := []string{"p", "p", "p", "p", "n", "e", "c"}
	rnd := rand.New(rand.NewSource(1))
	start := now.Add(-200 * 24 * time.Hour)
	err := db.Transaction(func(tx *gorm.DB) error {
		pool := tx.Statement.ConnPool
		const per = 500
		for lo := 0; lo < n; lo += per {
			var rows [][]any
			for i := lo; i < min(lo+per, n); i++ {
				name := names[rnd.Intn(len(names))]
				code := fmt.Sprintf("A%04d%c", i%10000, 'A'+rune(i/10000))
				email := fmt.Sprintf("%s%d@example.org", strings.ToLower(strings.Fields(name)[0]), i)
				dt := start.Add(time.Duration(i) * 2 * time.Minute)
				rows = append(rows, []any{orgID, ev.ID, "conf", code, statuses[rnd.Intn(len(statuses))], false, false, email, name, dt, dt, "250.00", 1,
					strings.ToLower(code + " " + email + " " + name), "c", "k", fmt.Sprint(i), raw, now, now})
			}
			if err := bulkInsert(context.Background(), pool, `INSERT INTO pretix_orders (organizer_id, event_id, event_slug, code, status,
				require_approval, testmode, email, display_name, datetime, last_modified, total, position_count, search_text,
				contents_hash, contact_hash, raw_hash, raw_json, first_seen_at, updated_at) VALUES `, orderCols, rows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	return ev.ID
}

// TestMain removes the shared benchmark database.
func TestMain(m *testing.M) {
	code := m.Run()
	if listBench.db != nil {
		models.Close(listBench.db)
		os.RemoveAll(listBench.dir)
	}
	os.Exit(code)
}
