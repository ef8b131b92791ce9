package datasync

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
	"pretix-hubspot/secret"
)

// BenchmarkBulkRun10k times "Sync orders…" on an event with 10,000 orders
// (all of them, through the orders list's filter): starting the run, the
// progress poll the orders list makes every 2 s, and Cancel.
func BenchmarkBulkRun10k(b *testing.B) {
	const n = 10000
	db, err := models.Open(filepath.Join(b.TempDir(), "db.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	defer models.Close(db)
	exec := func(q string, args ...any) {
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at) VALUES (1, 'https://pretix.example', 'acme', 'x', ?, ?)`, t0, t0)
	exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (1, 1, 'conf', ?, ?)`, t0, t0)
	exec(`INSERT INTO event_providers (event_id, provider, enabled, activated_at, created_at, updated_at) VALUES (1, 'hubspot', 1, ?, ?, ?)`, t0, t0, t0)
	tx := db.Begin()
	for i := 1; i <= n; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := tx.Exec(`INSERT INTO pretix_orders (id, organizer_id, event_id, event_slug, code, status, datetime, last_modified, raw_json, first_seen_at, updated_at)
			VALUES (?, 1, 1, 'conf', ?, 'p', ?, ?, '{}', ?, ?)`, i, fmt.Sprintf("O%05d", i), at, at, at, at).Error; err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		b.Fatal(err)
	}
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	px := pretix.NewService(pretix.Config{DB: db, Box: box, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimit: -1})
	defer px.Close()
	clock := clockwork.NewFakeClockAt(t0)
	q := NewQueue(db, clock, DefaultRetryPolicy, rand.New(rand.NewPCG(1, 2)))
	bulk := NewBulk(db, NewEnqueuer(db, q, nil, nil), px, clock)
	ctx := context.Background()

	b.ResetTimer()
	var start, cancel time.Duration
	var polls []time.Duration
	for i := 0; i < b.N; i++ {
		t := time.Now()
		p, err := bulk.Start(ctx, BulkInput{OrganizerID: 1, EventID: 1, All: true})
		start += time.Since(t)
		if err != nil || p.Total != n || p.Pending != n {
			b.Fatalf("start: %+v %v", p, err)
		}
		// Half of the run done, a few failed.
		exec(`DELETE FROM sync_jobs WHERE order_id <= ?`, n/2)
		exec(`UPDATE sync_jobs SET state = 'failed', failure_mode = 'permanent', last_error = 'x' WHERE order_id > ? AND order_id <= ?`, n/2, n/2+50)
		for k := 0; k < 20; k++ {
			t = time.Now()
			p, err = bulk.Progress(ctx, 1, p.ID)
			polls = append(polls, time.Since(t))
			if err != nil || p.Done != n/2 || p.Failed != 50 {
				b.Fatalf("progress: %+v %v", p, err)
			}
		}
		t = time.Now()
		if p, err = bulk.Cancel(ctx, 1, p.ID); err != nil || p.Canceled != n/2-50 {
			b.Fatalf("cancel: %+v %v", p, err)
		}
		cancel += time.Since(t)
		exec(`DELETE FROM sync_jobs`)
	}
	b.StopTimer()
	slices.Sort(polls)
	p95 := polls[len(polls)*95/100]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("BENCH sync_bulk_start_10k_ms %.1f ms\n", ms(start/time.Duration(b.N)))
	fmt.Printf("BENCH sync_bulk_progress_10k_p95_ms %.1f ms\n", ms(p95))
	fmt.Printf("BENCH sync_bulk_cancel_5k_ms %.1f ms\n", ms(cancel/time.Duration(b.N)))
}
