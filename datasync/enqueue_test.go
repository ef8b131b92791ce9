package datasync

import (
	"context"
	"testing"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

func TestEnqueueRules(t *testing.T) {
	after, before := t0.Add(time.Minute), t0.Add(-time.Minute)
	tests := []struct {
		name     string
		provider map[string]any // event_providers columns to set
		noRow    bool
		testmode bool
		follows  bool // the provider follows every change of the event
		change   pretix.OrderChange
		want     string // trigger, "" for not queued
	}{
		{name: "new order after activation", change: pretix.OrderChange{Kinds: pretix.ChangeNew, Status: "n", Datetime: after}, want: TriggerNewOrder},
		{name: "new order before activation", change: pretix.OrderChange{Kinds: pretix.ChangeNew, Status: "p", Datetime: before}},
		{name: "new order at the activation instant", change: pretix.OrderChange{Kinds: pretix.ChangeNew, Status: "p", Datetime: t0}},
		{name: "not activated yet", provider: map[string]any{"activated_at": nil}, change: pretix.OrderChange{Kinds: pretix.ChangeNew, Datetime: after}},
		{name: "no provider row", noRow: true, change: pretix.OrderChange{Kinds: pretix.ChangeNew, Datetime: after}},
		{name: "disabled provider still queues (the job waits)", provider: map[string]any{"enabled": false},
			change: pretix.OrderChange{Kinds: pretix.ChangeNew, Datetime: after}, want: TriggerNewOrder},
		{name: "test-mode order", testmode: true, change: pretix.OrderChange{Kinds: pretix.ChangeNew, Datetime: after}},
		{name: "paid, re-sync off by default", change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "n", Status: "p", Datetime: after}},
		{name: "paid with re-sync on paid", provider: map[string]any{"resync_on_paid": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "n", Status: "p", Datetime: after}, want: TriggerPaid},
		{name: "paid before activation, re-sync on paid", provider: map[string]any{"resync_on_paid": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "n", Status: "p", Datetime: before}},
		{name: "canceled with re-sync on canceled", provider: map[string]any{"resync_on_canceled": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "p", Status: "c", Datetime: after}, want: TriggerCanceled},
		{name: "canceled, only re-sync on paid", provider: map[string]any{"resync_on_paid": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "p", Status: "c", Datetime: after}},
		{name: "contact changed with re-sync on changes", provider: map[string]any{"resync_on_changed": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeContact, OldStatus: "p", Status: "p", Datetime: after}, want: TriggerChanged},
		{name: "contents changed, re-sync off", change: pretix.OrderChange{Kinds: pretix.ChangeContents, OldStatus: "p", Status: "p", Datetime: after}},
		{name: "check-in only, re-sync on changes", provider: map[string]any{"resync_on_changed": true},
			change: pretix.OrderChange{Kinds: pretix.ChangeOther, OldStatus: "p", Status: "p", Datetime: after}},
		{name: "check-in only, the event followed", follows: true,
			change: pretix.OrderChange{Kinds: pretix.ChangeOther, OldStatus: "p", Status: "p", Datetime: after}, want: TriggerChanged},
		{name: "canceled, the event followed", follows: true,
			change: pretix.OrderChange{Kinds: pretix.ChangeStatus, OldStatus: "p", Status: "c", Datetime: after}, want: TriggerChanged},
		{name: "followed, but placed before activation", follows: true,
			change: pretix.OrderChange{Kinds: pretix.ChangeOther, OldStatus: "p", Status: "p", Datetime: before}},
		{name: "followed test-mode order", follows: true, testmode: true,
			change: pretix.OrderChange{Kinds: pretix.ChangeOther, OldStatus: "p", Status: "p", Datetime: after}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			if tc.noRow {
				must(t, f.db.Exec(`DELETE FROM event_providers`).Error)
			} else if tc.provider != nil {
				must(t, f.db.Model(&models.EventProvider{}).Where("provider = 'test'").Updates(tc.provider).Error)
			}
			if tc.testmode {
				must(t, f.db.Exec(`UPDATE pretix_orders SET testmode = 1`).Error)
			}
			pokes := 0
			e := NewEnqueuer(f.db, f.q, func() { pokes++ }, nil)
			e.FollowAllChanges("test", func(_ context.Context, events []int64) (map[int64]bool, error) {
				return map[int64]bool{1: tc.follows && len(events) == 1 && events[0] == 1}, nil
			})
			c := tc.change
			c.EventID, c.OrderID, c.Code = 1, 1, "ORD01"
			e.OrdersChanged(context.Background(), []pretix.OrderChange{c})
			j := f.job(t, 1)
			switch {
			case tc.want == "" && j != nil:
				t.Fatalf("queued %+v", j)
			case tc.want != "" && (j == nil || j.TriggeredBy != tc.want || j.State != models.JobPending):
				t.Fatalf("job %+v, want pending %s", j, tc.want)
			case (tc.want != "") != (pokes == 1):
				t.Fatalf("%d pokes", pokes)
			}
		})
	}
}

func TestEnqueueNewOrderOnlyOnce(t *testing.T) {
	f := newFixture(t, 1)
	e := NewEnqueuer(f.db, f.q, nil, nil)
	ctx := context.Background()
	c := pretix.OrderChange{EventID: 1, OrderID: 1, Kinds: pretix.ChangeNew, Datetime: t0.Add(time.Minute)}
	e.OrdersChanged(ctx, []pretix.OrderChange{c})
	jobs, err := f.q.Claim(ctx, "test", "w", 10, time.Minute)
	must(t, err)
	must(t, f.q.Finish(ctx, jobs[0].ID, "w", Outcome{Kind: OutcomeDone}))
	// Later changes without re-sync settings queue nothing again.
	c.Kinds, c.OldStatus, c.Status = pretix.ChangeStatus|pretix.ChangeContact, "n", "p"
	e.OrdersChanged(ctx, []pretix.OrderChange{c})
	if j := f.job(t, 1); j != nil {
		t.Fatalf("queued again: %+v", j)
	}
}

func TestSyncNow(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	pokes := 0
	e := NewEnqueuer(f.db, f.q, func() { pokes++ }, nil)
	must(t, f.db.Exec(`UPDATE pretix_orders SET testmode = 1 WHERE id = 4`).Error)
	must(t, f.db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (2, 1, 'other', ?, ?)`, t0, t0).Error)

	// A failed job is revived with a fresh budget; test-mode orders are skipped.
	must(t, f.q.Enqueue(ctx, 1, []int64{2}, "test", TriggerNewOrder, time.Time{}))
	must(t, f.db.Exec(`UPDATE sync_jobs SET state = 'failed', failure_mode = 'permanent', attempts = 1, last_error = 'x'`).Error)
	res, err := e.SyncNow(ctx, 1, []int64{1, 2, 4, 1}, TriggerManual)
	must(t, err)
	if res.Queued != 2 || res.Skipped != 1 || len(res.Providers) != 1 || len(res.Paused) != 0 || pokes != 1 {
		t.Fatalf("result %+v, pokes %d", res, pokes)
	}
	for _, id := range []int64{1, 2} {
		if j := f.job(t, id); j == nil || j.State != models.JobPending || j.TriggeredBy != TriggerManual || j.Attempts != 0 || j.LastError != "" {
			t.Fatalf("order %d: %+v", id, j)
		}
	}
	if f.job(t, 4) != nil {
		t.Fatal("test-mode order queued")
	}

	// A disabled provider's jobs are queued and reported as paused.
	must(t, f.db.Exec(`UPDATE event_providers SET enabled = 0`).Error)
	res, err = e.SyncNow(ctx, 1, []int64{3}, TriggerBulk)
	must(t, err)
	if len(res.Paused) != 1 || f.job(t, 3).TriggeredBy != TriggerBulk {
		t.Fatalf("result %+v", res)
	}

	for _, tc := range []struct {
		name  string
		event int64
		ids   []int64
		code  string
	}{
		{"event without a provider", 2, []int64{1}, "sync_not_set_up"},
		{"unknown order", 1, []int64{1, 99}, "sync_order_not_found"},
		{"only test-mode orders", 1, []int64{4}, "sync_test_orders"},
		{"nothing selected", 1, nil, "sync_no_orders"},
	} {
		_, err := e.SyncNow(ctx, tc.event, tc.ids, TriggerManual)
		if ae, ok := apperr.As(err); !ok || ae.Code != tc.code || ae.Message == "" {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}
