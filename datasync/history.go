package datasync

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// DefaultHistoryKeep is how long run history is kept.
const DefaultHistoryKeep = 30 * 24 * time.Hour

// History is the run history: one row per sync run and per pull, for the
// organizer's Sync activity page. Recording never fails a sync; a row that
// cannot be written is logged.
type History struct {
	db    *gorm.DB
	clock clockwork.Clock
	log   *slog.Logger
	keep  time.Duration

	mu     sync.Mutex
	orgsOf map[int64]int64 // event → organizer
}

// NewHistory returns the history; keep <= 0 means DefaultHistoryKeep.
func NewHistory(db *gorm.DB, clock clockwork.Clock, log *slog.Logger, keep time.Duration) *History {
	if keep <= 0 {
		keep = DefaultHistoryKeep
	}
	return &History{db: db, clock: clock, log: log, keep: keep, orgsOf: map[int64]int64{}}
}

func (h *History) organizerOf(ctx context.Context, eventID int64) (int64, error) {
	h.mu.Lock()
	org, ok := h.orgsOf[eventID]
	h.mu.Unlock()
	if ok {
		return org, nil
	}
	if err := h.db.WithContext(ctx).Model(&models.PretixEvent{}).Where("id = ?", eventID).Pluck("organizer_id", &org).Error; err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.orgsOf[eventID] = org
	h.mu.Unlock()
	return org, nil
}

// RecordRound is RunnerOptions.OnRound.
func (h *History) RecordRound(st RoundStats) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	org, err := h.organizerOf(ctx, st.EventID)
	if err != nil || org == 0 {
		h.log.Warn("run history: event not found", "event", st.EventID, "err", err)
		return
	}
	ev := st.EventID
	row := models.SyncRun{Kind: models.RunSync, OrganizerID: org, EventID: &ev, Provider: st.Provider, Lane: "bulk",
		StartedAt: st.Started.UTC(), DurationMS: st.Took.Milliseconds(), Requests: st.Requests, Waits: st.Waits,
		Done: st.Outcomes[OutcomeDone], Failed: st.Outcomes[OutcomeFailed], Retry: st.Outcomes[OutcomeTemporary], Waiting: st.Outcomes[OutcomeWait],
		Created: st.Actions["created"], Updated: st.Actions["updated"], Unchanged: st.Actions["nothing_to_do"], Skipped: st.Actions["skipped"],
		Rejected: st.Modes[models.FailurePermanent]}
	if st.Live {
		row.Lane = "live"
	}
	for _, n := range st.Outcomes {
		row.Orders += n
	}
	if err := h.db.WithContext(ctx).Create(&row).Error; err != nil {
		h.log.Warn("run history: record a sync run", "event", st.EventID, "err", err)
	}
}

// RecordPull is pretix.Config.OnPull.
func (h *History) RecordPull(organizerID int64, res pretix.PullResult, took time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	row := models.SyncRun{Kind: models.RunPull, OrganizerID: organizerID, StartedAt: h.clock.Now().Add(-took).UTC(),
		DurationMS: took.Milliseconds(), Orders: res.Orders, Requests: int64(res.Pages)}
	if err != nil {
		row.Error = err.Error()
	}
	if err := h.db.WithContext(ctx).Create(&row).Error; err != nil {
		h.log.Warn("run history: record a pull", "organizer", organizerID, "err", err)
	}
}

// Sweep deletes rows older than the retention.
func (h *History) Sweep(ctx context.Context) (int64, error) {
	res := h.db.WithContext(ctx).Where("started_at < ?", h.clock.Now().Add(-h.keep).UTC()).Delete(&models.SyncRun{})
	return res.RowsAffected, res.Error
}

// Activity is the Sync activity page: the newest runs and a per-day
// series of orders synced and requests made.
type Activity struct {
	Runs  []models.SyncRun `json:"runs"`
	Days  []ActivityDay    `json:"days"`
	Keep  int              `json:"keep_days"`
	Total int64            `json:"total_runs"`
}

// ActivityDay is one day (UTC) of the chart.
type ActivityDay struct {
	Date     string `json:"date"` // YYYY-MM-DD
	Orders   int64  `json:"orders"`
	Requests int64  `json:"requests"`
	Failed   int64  `json:"failed"`
}

// MaxActivityRuns bounds the runs listed.
const MaxActivityRuns = 200

// Activity returns an organizer's activity over the last days days,
// optionally of one event (pulls belong to no event and are then left out).
func (h *History) Activity(ctx context.Context, organizerID int64, eventID *int64, days int) (*Activity, error) {
	if days < 1 || days > 90 {
		return nil, apperr.Invalid("days_invalid", "Choose between 1 and 90 days.").WithField("days", "From 1 to 90.")
	}
	now := h.clock.Now().UTC()
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1))
	q := h.db.WithContext(ctx).Model(&models.SyncRun{}).Where("organizer_id = ? AND started_at >= ?", organizerID, from)
	if eventID != nil {
		q = q.Where("event_id = ?", *eventID)
	}
	out := &Activity{Runs: []models.SyncRun{}, Keep: int(h.keep / (24 * time.Hour))}
	if err := q.Session(&gorm.Session{}).Count(&out.Total).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("count runs: %w", err))
	}
	if err := q.Session(&gorm.Session{}).Order("started_at DESC, id DESC").Limit(MaxActivityRuns).Find(&out.Runs).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("list runs: %w", err))
	}
	var rows []struct {
		Day      string
		Orders   int64
		Requests int64
		Failed   int64
	}
	if err := q.Session(&gorm.Session{}).Where("kind = ?", models.RunSync).
		Select("substr(started_at, 1, 10) AS day, SUM(done) AS orders, SUM(requests) AS requests, SUM(failed + retry) AS failed").
		Group("day").Scan(&rows).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("runs per day: %w", err))
	}
	byDay := map[string]int{}
	for d := 0; d < days; d++ {
		date := from.AddDate(0, 0, d).Format("2006-01-02")
		byDay[date] = len(out.Days)
		out.Days = append(out.Days, ActivityDay{Date: date})
	}
	for _, r := range rows {
		if i, ok := byDay[r.Day]; ok {
			out.Days[i].Orders, out.Days[i].Requests, out.Days[i].Failed = r.Orders, r.Requests, r.Failed
		}
	}
	return out, nil
}
