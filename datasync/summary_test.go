package datasync

import (
	"context"
	"testing"
	"time"

	"pretix-hubspot/models"
)

// The dashboard's picture counts each job once in the queue figures and
// puts synced, failed and waiting orders on their day in the event's zone.
func TestSummaryCountsByStateAndDay(t *testing.T) {
	f := newFixture(t, 8)
	ctx := context.Background()
	st := NewStatus(f.db, f.q, f.clock, nil, nil)
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	now := f.clock.Now() // 2026-11-22 10:00 UTC = 11:00 in Berlin
	yesterday := now.Add(-24 * time.Hour)
	lateLastNight := time.Date(2026, 11, 21, 23, 30, 0, 0, time.UTC) // 00:30 on the 22nd in Berlin
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3, 4, 5, 6}, "test", TriggerManual, time.Time{}))
	set := func(order int64, cols map[string]any) {
		t.Helper()
		must(t, f.db.Model(&models.SyncJob{}).Where("order_id = ?", order).Updates(cols).Error)
	}
	set(1, map[string]any{"state": "failed", "failure_mode": "config", "updated_at": yesterday})
	set(2, map[string]any{"state": "in_flight"})
	set(3, map[string]any{"not_before": now.Add(time.Hour), "wait_reason": "Waiting for a HubSpot mapping", "wait_code": models.WaitSetup})
	set(4, map[string]any{"not_before": now.Add(time.Minute), "wait_reason": "Rate limit", "triggered_at": yesterday})
	// 5 and 6 are due now. Orders 7 and 8 were synced (8 twice, with two records).
	for _, r := range []struct {
		order int64
		at    time.Time
	}{{7, yesterday}, {8, lateLastNight}, {8, lateLastNight.Add(time.Minute)}} {
		must(t, f.db.Create(&models.SyncResult{OrderID: r.order, MappingID: r.at.Unix(), Provider: "test", ObjectType: "contacts",
			IDProperty: "email", IDValue: "x", Action: "created", TransmittedAt: r.at.UTC()}).Error)
	}

	s, err := st.Summary(ctx, 1, berlin)
	must(t, err)
	if want := (SummaryCounts{Due: 2, Waiting: 2, WaitingSetup: 1, InFlight: 1, Failed: 1}); s.Counts != want {
		t.Errorf("counts %+v, want %+v", s.Counts, want)
	}
	if s.NextAttemptAt == nil || !s.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Errorf("next attempt %v, want %v", s.NextAttemptAt, now.Add(time.Minute))
	}
	if s.LastSyncedAt == nil || !s.LastSyncedAt.Equal(lateLastNight.Add(time.Minute)) {
		t.Errorf("last synced %v, want %v", s.LastSyncedAt, lateLastNight.Add(time.Minute))
	}
	if len(s.Days) != SummaryDays || s.TimeZone != "Europe/Berlin" {
		t.Fatalf("%d days in %s", len(s.Days), s.TimeZone)
	}
	for _, tc := range []struct {
		back int // days before today
		want DayCounts
	}{
		{0, DayCounts{Day: "2026-11-22", Synced: 1, Waiting: 3}}, // order 8 at 00:30 Berlin time; 3, 5 and 6 wait
		{1, DayCounts{Day: "2026-11-21", Synced: 1, Failed: 1, Waiting: 1}},
		{2, DayCounts{Day: "2026-11-20"}},
	} {
		if got := s.Days[SummaryDays-1-tc.back]; got != tc.want {
			t.Errorf("%d days back: %+v, want %+v", tc.back, got, tc.want)
		}
	}
}
