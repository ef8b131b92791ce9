package scheduler

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestCronRunsAtMinuteFiveOfEachTenOnFakeClock(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	s, err := New(clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	done := make(chan struct{}, 10)
	if err := s.Cron("loop", "5-55/10 * * * *", func(ctx context.Context) error {
		runs.Add(1)
		done <- struct{}{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()

	next, err := s.NextRun("loop")
	for i := 0; err == nil && next.IsZero() && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
		next, err = s.NextRun("loop")
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 10, 5, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next run %v, want %v", next, want)
	}
	if err := clock.BlockUntilContext(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("job did not run at minute 5")
	}
	if runs.Load() != 1 {
		t.Fatalf("runs = %d", runs.Load())
	}
}

func TestRunNowUnknownJob(t *testing.T) {
	s, err := New(clockwork.NewRealClock(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunNow("nope"); err == nil {
		t.Fatal("want error for unknown job")
	}
}
