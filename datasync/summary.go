package datasync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// SummaryDays is how many days the dashboard's picture covers.
const SummaryDays = 14

// Summary is the event dashboard's sync picture: the queue now and, per
// day in the event's time zone, the orders synced, failed and waiting.
type Summary struct {
	Counts        SummaryCounts `json:"counts"`
	LastSyncedAt  *time.Time    `json:"last_synced_at"`  // the latest record sent to a provider
	NextAttemptAt *time.Time    `json:"next_attempt_at"` // the earliest waiting job's time
	TimeZone      string        `json:"time_zone"`
	Days          []DayCounts   `json:"days"` // oldest first, today last
}

// SummaryCounts counts the event's jobs now. Waiting jobs wait for a time
// (backoff, rate limit) or, WaitingSetup of them, for the setup to work.
type SummaryCounts struct {
	Due          int `json:"due"`
	Waiting      int `json:"waiting"`
	WaitingSetup int `json:"waiting_setup"`
	InFlight     int `json:"in_flight"`
	Failed       int `json:"failed"`
}

// DayCounts is one day of the picture: orders whose records were sent that
// day, jobs that failed that day and are still failed, and jobs triggered
// that day that still wait.
type DayCounts struct {
	Day     string `json:"day"` // 2026-12-01
	Synced  int    `json:"synced"`
	Failed  int    `json:"failed"`
	Waiting int    `json:"waiting"`
}

// Summary builds the event's picture; loc is the event's time zone.
func (s *Status) Summary(ctx context.Context, eventID int64, loc *time.Location) (*Summary, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := s.clock.Now()
	out := &Summary{TimeZone: loc.String()}
	// Day boundaries in the event's zone, as UTC (times are stored in UTC
	// and SQLite compares them as text).
	y, m, d := now.In(loc).Date()
	bounds := make([]time.Time, SummaryDays+1)
	for i := range bounds {
		bounds[i] = time.Date(y, m, d-SummaryDays+1+i, 0, 0, 0, 0, loc).UTC()
	}
	out.Days = make([]DayCounts, SummaryDays)
	for i := range out.Days {
		out.Days[i].Day = bounds[i].In(loc).Format("2006-01-02")
	}
	db := s.db.WithContext(ctx)

	var states []struct {
		State string
		N     int
	}
	if err := db.Raw(`SELECT state, COUNT(*) AS n FROM sync_jobs WHERE event_id = ? GROUP BY state`, eventID).Scan(&states).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	pending := 0
	for _, st := range states {
		switch st.State {
		case models.JobFailed:
			out.Counts.Failed = st.N
		case models.JobInFlight:
			out.Counts.InFlight = st.N
		case models.JobPending:
			pending = st.N
		}
	}
	// Waiting jobs are few next to a due backlog: read them along the due
	// index (state, not_before) rather than every pending job of the event.
	var waits []struct {
		WaitCode string
		N        int
		Next     string
	}
	if err := db.Raw(`SELECT wait_code, COUNT(*) AS n, MIN(not_before) AS next FROM sync_jobs INDEXED BY ix_sync_jobs_due
		WHERE state = 'pending' AND not_before > ? AND event_id = ? GROUP BY wait_code`, now.UTC(), eventID).Scan(&waits).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	for _, w := range waits {
		out.Counts.Waiting += w.N
		if w.WaitCode == models.WaitSetup {
			out.Counts.WaitingSetup += w.N
		}
		if t, ok := parseStored(w.Next); ok && (out.NextAttemptAt == nil || t.Before(*out.NextAttemptAt)) {
			out.NextAttemptAt = &t
		}
	}
	out.Counts.Due = pending - out.Counts.Waiting

	// Per day: one pass each, bucketed by the day bounds.
	bucket := func(col string) string {
		var b strings.Builder
		b.WriteString("CASE")
		for i := 1; i < SummaryDays; i++ {
			fmt.Fprintf(&b, " WHEN %s < @b%d THEN %d", col, i, i-1)
		}
		fmt.Fprintf(&b, " ELSE %d END", SummaryDays-1)
		return b.String()
	}
	args := map[string]any{"event": eventID, "from": bounds[0], "to": bounds[SummaryDays]}
	for i, b := range bounds {
		args[fmt.Sprintf("b%d", i)] = b
	}
	queries := []struct {
		q   string
		set func(day, n int)
	}{
		{`SELECT ` + bucket("transmitted_at") + ` AS day, COUNT(DISTINCT order_id) AS n FROM sync_results
			WHERE event_id = @event AND transmitted_at >= @from AND transmitted_at < @to GROUP BY day`, func(i, n int) { out.Days[i].Synced = n }},
		{`SELECT ` + bucket("updated_at") + ` AS day, COUNT(*) AS n FROM sync_jobs
			WHERE event_id = @event AND state = 'failed' AND updated_at >= @from AND updated_at < @to GROUP BY day`, func(i, n int) { out.Days[i].Failed = n }},
		{`SELECT ` + bucket("triggered_at") + ` AS day, COUNT(*) AS n FROM sync_jobs
			WHERE event_id = @event AND state = 'pending' AND triggered_at >= @from AND triggered_at < @to GROUP BY day`, func(i, n int) { out.Days[i].Waiting = n }},
	}
	for _, q := range queries {
		var rows []struct{ Day, N int }
		if err := db.Raw(q.q, args).Scan(&rows).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		for _, r := range rows {
			if r.Day >= 0 && r.Day < SummaryDays {
				q.set(r.Day, r.N)
			}
		}
	}
	var last string
	// Newest first along the event's time index: it stops at the first.
	if err := db.Raw(`SELECT transmitted_at FROM sync_results WHERE event_id = ? AND action <> 'skipped'
		ORDER BY transmitted_at DESC LIMIT 1`, eventID).Scan(&last).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if t, ok := parseStored(last); ok {
		out.LastSyncedAt = &t
	}
	return out, nil
}

// parseStored reads a time as SQLite returns it from an aggregate (text).
func parseStored(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
