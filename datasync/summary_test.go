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
		must(t, f.db.Create(&models.SyncResult{OrderID: r.order, EventID: 1, MappingID: r.at.Unix(), Provider: "test", ObjectType: "contacts",
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

// The orders list shows each order's most serious sync state with its time.
func TestOrderStatesForTheOrdersList(t *testing.T) {
	f := newFixture(t, 7)
	ctx := context.Background()
	st := NewStatus(f.db, f.q, f.clock, nil, nil)
	now := f.clock.Now()
	must(t, f.q.Enqueue(ctx, 1, []int64{2, 3, 4, 5, 6}, "test", TriggerManual, time.Time{}))
	set := func(order int64, cols map[string]any) {
		t.Helper()
		must(t, f.db.Model(&models.SyncJob{}).Where("order_id = ?", order).Updates(cols).Error)
	}
	set(3, map[string]any{"state": "in_flight"})
	set(4, map[string]any{"not_before": now.Add(time.Hour), "wait_reason": "Waiting for a HubSpot mapping"})
	set(5, map[string]any{"state": "failed", "failure_mode": "config", "updated_at": now.Add(-time.Minute)})
	set(6, map[string]any{"attempts": 1, "last_error": "HubSpot timed out", "updated_at": now})
	for _, order := range []int64{1, 5} { // 1 sent and done; 5 sent once, failed since
		must(t, f.db.Create(&models.SyncResult{OrderID: order, EventID: 1, MappingID: 1, Provider: "test", ObjectType: "contacts",
			IDProperty: "email", IDValue: "x", Action: "created", TransmittedAt: now.Add(-time.Hour).UTC()}).Error)
	}
	got, err := st.OrderStates(ctx, []int64{1, 2, 3, 4, 5, 6, 7})
	must(t, err)
	for _, tc := range []struct {
		order int64
		state string
		at    time.Time
	}{
		{1, OrderSynced, now.Add(-time.Hour)},
		{2, OrderPending, now},
		{3, OrderPending, now},
		{4, OrderWaiting, now.Add(time.Hour)},
		{5, OrderError, now.Add(-time.Minute)},
		{6, OrderError, now},
	} {
		if s := got[tc.order]; s.State != tc.state || !s.At.Equal(tc.at) {
			t.Errorf("order %d: %+v, want %s at %v", tc.order, s, tc.state, tc.at)
		}
	}
	if s, ok := got[7]; ok {
		t.Errorf("order 7 was never synced, got %+v", s)
	}
}
