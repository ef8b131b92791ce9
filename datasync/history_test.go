package datasync

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

func TestHistoryRecordsAndSweeps(t *testing.T) {
	f := newFixture(t, 1)
	h := NewHistory(f.db, f.clock, slog.New(slog.DiscardHandler), 30*24*time.Hour)
	ctx := context.Background()
	h.RecordRound(RoundStats{Provider: "test", EventID: 1, Started: f.clock.Now(), Took: 2 * time.Second, Requests: 4, Waits: 1,
		Outcomes: map[OutcomeKind]int{OutcomeDone: 2, OutcomeFailed: 1}, Modes: map[string]int{models.FailurePermanent: 1},
		Actions: map[string]int{"created": 2, "nothing_to_do": 1}})
	h.RecordPull(1, pretix.PullResult{Orders: 9, Pages: 1}, time.Second, nil)
	var rows []models.SyncRun
	must(t, f.db.Order("id").Find(&rows).Error)
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	s, p := rows[0], rows[1]
	if s.Kind != models.RunSync || s.Orders != 3 || s.Done != 2 || s.Failed != 1 || s.Rejected != 1 || s.Created != 2 || s.Unchanged != 1 ||
		s.Requests != 4 || s.Waits != 1 || s.DurationMS != 2000 || s.Lane != "bulk" || s.OrganizerID == 0 {
		t.Errorf("sync row %+v", s)
	}
	if p.Kind != models.RunPull || p.Orders != 9 || p.EventID != nil {
		t.Errorf("pull row %+v", p)
	}
	// 31 days on, both are swept.
	f.clock.Advance(31 * 24 * time.Hour)
	h.RecordPull(1, pretix.PullResult{Orders: 1}, time.Second, nil)
	n, err := h.Sweep(ctx)
	if err != nil || n != 2 {
		t.Fatalf("swept %d, %v; want the 2 old rows", n, err)
	}
	a, err := h.Activity(ctx, s.OrganizerID, nil, 14)
	if err != nil || len(a.Runs) != 1 || a.Total != 1 || len(a.Days) != 14 {
		t.Errorf("activity %+v, %v", a, err)
	}
}
