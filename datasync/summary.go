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

	var jobs []struct {
		State, WaitCode string
		Later           bool
		N               int
		Next            string
	}
	if err := db.Raw(`SELECT state, wait_code, not_before > ? AS later, COUNT(*) AS n, MIN(not_before) AS next
		FROM sync_jobs WHERE event_id = ? GROUP BY state, wait_code, later`, now.UTC(), eventID).Scan(&jobs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	for _, j := range jobs {
		switch {
		case j.State == models.JobFailed:
			out.Counts.Failed += j.N
		case j.State == models.JobInFlight:
			out.Counts.InFlight += j.N
		case j.Later:
			out.Counts.Waiting += j.N
			if j.WaitCode == models.WaitSetup {
				out.Counts.WaitingSetup += j.N
			}
			if t, ok := parseStored(j.Next); ok && (out.NextAttemptAt == nil || t.Before(*out.NextAttemptAt)) {
				out.NextAttemptAt = &t
			}
		default:
			out.Counts.Due += j.N
		}
	}

	// One row of per-day counts per source: CASE buckets by the bounds.
	perDay := func(col, expr string) string {
		var b strings.Builder
		for i := 0; i < SummaryDays; i++ {
			fmt.Fprintf(&b, ", COUNT(DISTINCT CASE WHEN %[1]s >= @b%[2]d AND %[1]s < @b%[3]d THEN %[4]s END)", col, i, i+1, expr)
		}
		return b.String()[2:]
	}
	args := map[string]any{"event": eventID, "from": bounds[0]}
	for i, b := range bounds {
		args[fmt.Sprintf("b%d", i)] = b
	}
	scan := func(query string, set func(day, n int)) error {
		rows, err := db.Raw(query, args).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]int, SummaryDays)
		ptrs := make([]any, SummaryDays)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
		}
		for i, v := range vals {
			set(i, v)
		}
		return rows.Err()
	}
	queries := []struct {
		q   string
		set func(day, n int)
	}{
		{`SELECT ` + perDay("r.transmitted_at", "r.order_id") + ` FROM sync_results r JOIN pretix_orders o ON o.id = r.order_id
			WHERE o.event_id = @event AND r.transmitted_at >= @from`, func(i, n int) { out.Days[i].Synced = n }},
		{`SELECT ` + perDay("updated_at", "id") + ` FROM sync_jobs WHERE event_id = @event AND state = 'failed' AND updated_at >= @from`,
			func(i, n int) { out.Days[i].Failed = n }},
		{`SELECT ` + perDay("triggered_at", "id") + ` FROM sync_jobs WHERE event_id = @event AND state = 'pending' AND triggered_at >= @from`,
			func(i, n int) { out.Days[i].Waiting = n }},
	}
	for _, q := range queries {
		if err := scan(q.q, q.set); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	var last string
	// Newest first along the time index: it stops at the event's latest.
	if err := db.Raw(`SELECT r.transmitted_at FROM sync_results r JOIN pretix_orders o ON o.id = r.order_id
		WHERE o.event_id = ? AND r.action <> 'skipped' ORDER BY r.transmitted_at DESC LIMIT 1`, eventID).Scan(&last).Error; err != nil {
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
