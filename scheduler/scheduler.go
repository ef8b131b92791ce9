// Package scheduler runs the in-process periodic jobs (the pull + sync loop,
// lease sweeper, token refresh, housekeeping) on gocron.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
)

// Scheduler wraps a gocron scheduler; every job runs in singleton mode so a
// slow run is never overlapped by the next one.
type Scheduler struct {
	s      gocron.Scheduler
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	jobs   map[string]gocron.Job
}

// New creates a stopped scheduler on the given clock.
func New(clock clockwork.Clock, logger *slog.Logger) (*Scheduler, error) {
	s, err := gocron.NewScheduler(gocron.WithClock(clock), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{s: s, logger: logger, ctx: ctx, cancel: cancel, jobs: map[string]gocron.Job{}}, nil
}

// Cron adds a job on a five-field cron schedule.
func (s *Scheduler) Cron(name, spec string, fn func(ctx context.Context) error) error {
	return s.add(name, gocron.CronJob(spec, false), fn)
}

// Every adds a job that runs at a fixed interval.
func (s *Scheduler) Every(name string, d time.Duration, fn func(ctx context.Context) error) error {
	return s.add(name, gocron.DurationJob(d), fn)
}

func (s *Scheduler) add(name string, def gocron.JobDefinition, fn func(ctx context.Context) error) error {
	j, err := s.s.NewJob(def, gocron.NewTask(func() {
		start := time.Now()
		if err := fn(s.ctx); err != nil {
			s.logger.Error("scheduled job failed", "job", name, "err", err)
			return
		}
		s.logger.Debug("scheduled job done", "job", name, "ms", time.Since(start).Milliseconds())
	}), gocron.WithName(name), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		return fmt.Errorf("schedule %s: %w", name, err)
	}
	s.jobs[name] = j
	return nil
}

// RunNow runs a job at once without changing its schedule; it still never
// overlaps a running instance.
func (s *Scheduler) RunNow(name string) error {
	j, ok := s.jobs[name]
	if !ok {
		return fmt.Errorf("no job %q", name)
	}
	return j.RunNow()
}

// NextRun returns when a job runs next.
func (s *Scheduler) NextRun(name string) (time.Time, error) {
	j, ok := s.jobs[name]
	if !ok {
		return time.Time{}, fmt.Errorf("no job %q", name)
	}
	return j.NextRun()
}

// Start starts running jobs.
func (s *Scheduler) Start() { s.s.Start() }

// Shutdown cancels running jobs' context and waits for them to return.
func (s *Scheduler) Shutdown() error {
	s.cancel()
	return s.s.Shutdown()
}
