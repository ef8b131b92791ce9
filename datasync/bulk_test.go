package datasync

import (
	"context"
	"testing"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// listAll stands in for the orders list: every order of the event, in pages.
type listAll struct {
	f     *fixture
	calls int
}

func (l *listAll) ListOrders(ctx context.Context, q pretix.OrderListQuery) (*pretix.OrderList, error) {
	l.calls++
	var ids []int64
	if err := l.f.db.Model(&models.PretixOrder{}).Where("event_id = ?", q.EventID).Order("id").
		Limit(q.PageSize).Offset((q.Page-1)*q.PageSize).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	out := &pretix.OrderList{Page: q.Page, PageSize: q.PageSize}
	for _, id := range ids {
		out.Orders = append(out.Orders, pretix.OrderSummary{ID: id})
	}
	return out, nil
}

func TestBulkRunProgressAndCancel(t *testing.T) {
	f := newFixture(t, 8)
	ctx := context.Background()
	pokes := 0
	enq := NewEnqueuer(f.db, f.q, func() { pokes++ }, nil)
	lister := &listAll{f: f}
	b := NewBulk(f.db, enq, lister, f.clock)
	// Order 8 is a test-mode order: never transferred, reported as skipped.
	must(t, f.db.Model(&models.PretixOrder{}).Where("id = 8").Update("testmode", true).Error)

	for _, tc := range []struct {
		name string
		in   BulkInput
		code string
	}{
		{"nothing selected", BulkInput{EventID: 1}, "sync_bulk_selection"},
		{"both selected and all", BulkInput{EventID: 1, All: true, OrderIDs: []int64{1}}, "sync_bulk_selection"},
		{"order of another event", BulkInput{EventID: 1, OrderIDs: []int64{1, 99}}, "sync_order_not_found"},
		{"only test-mode orders", BulkInput{EventID: 1, OrderIDs: []int64{8}}, "sync_test_orders"},
	} {
		_, err := b.Start(ctx, tc.in)
		if ae, ok := apperr.As(err); !ok || ae.Code != tc.code {
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.code)
		}
	}

	p, err := b.Start(ctx, BulkInput{EventID: 1, All: true})
	must(t, err)
	if p.Total != 7 || p.Skipped != 1 || p.Pending != 7 || !p.Running || p.Selection != "filter" || pokes != 1 {
		t.Fatalf("started %+v, pokes %d", p, pokes)
	}
	var jobs int64
	must(t, f.db.Model(&models.SyncJob{}).Where("triggered_by = ?", TriggerBulk).Count(&jobs).Error)
	if jobs != 7 {
		t.Fatalf("%d bulk jobs queued, want 7", jobs)
	}
	cur, err := b.Current(ctx, 1)
	must(t, err)
	if cur == nil || cur.ID != p.ID {
		t.Fatalf("current run %+v", cur)
	}

	// 1, 2 synced (job gone); 3 failed; 4 retrying; 5 in flight; 6, 7 pending.
	must(t, f.db.Where("order_id IN ?", []int64{1, 2}).Delete(&models.SyncJob{}).Error)
	must(t, f.db.Model(&models.SyncJob{}).Where("order_id = 3").Updates(map[string]any{"state": "failed", "failure_mode": "permanent", "last_error": "bad"}).Error)
	must(t, f.db.Model(&models.SyncJob{}).Where("order_id = 4").Updates(map[string]any{"attempts": 1, "last_error": "Bad Gateway"}).Error)
	must(t, f.db.Model(&models.SyncJob{}).Where("order_id = 5").Update("state", "in_flight").Error)
	p, err = b.Progress(ctx, 1, p.ID)
	must(t, err)
	if p.Done != 2 || p.Failed != 1 || p.Pending != 4 || p.Retrying != 1 || p.InFlight != 1 || p.Canceled != 0 || !p.Running {
		t.Fatalf("progress %+v", p)
	}
	if _, err := b.Progress(ctx, 2, p.ID); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("run of another event: %v", err)
	}

	// Cancel removes 4, 6, 7 (pending); 5 is being transferred and stays;
	// the failed job of 3 stays on the problems page.
	p, err = b.Cancel(ctx, 1, p.ID)
	must(t, err)
	if p.Canceled != 3 || p.Pending != 1 || p.InFlight != 1 || p.Failed != 1 || p.Done != 2 || p.Running || p.CanceledAt == nil {
		t.Fatalf("after cancel %+v", p)
	}
	var left []int64
	must(t, f.db.Model(&models.SyncJob{}).Order("order_id").Pluck("order_id", &left).Error)
	if len(left) != 2 || left[0] != 3 || left[1] != 5 {
		t.Errorf("jobs left for orders %v, want [3 5]", left)
	}
	if cur, err := b.Current(ctx, 1); err != nil || cur != nil {
		t.Errorf("a canceled run is not current: %+v %v", cur, err)
	}
}

func TestBulkRunFinishes(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	b := NewBulk(f.db, NewEnqueuer(f.db, f.q, nil, nil), &listAll{f: f}, f.clock)
	p, err := b.Start(ctx, BulkInput{EventID: 1, OrderIDs: []int64{2, 3, 2}})
	must(t, err)
	if p.Total != 2 || p.Selection != "selected" {
		t.Fatalf("started %+v", p)
	}
	must(t, f.db.Where("1 = 1").Delete(&models.SyncJob{}).Error)
	p, err = b.Progress(ctx, 1, p.ID)
	must(t, err)
	if p.Done != 2 || p.Running || p.FinishedAt == nil {
		t.Fatalf("finished run %+v", p)
	}
	if cur, err := b.Current(ctx, 1); err != nil || cur != nil {
		t.Errorf("a finished run is not current: %+v %v", cur, err)
	}
	// A paused event: jobs wait, and the run says why.
	must(t, f.db.Model(&models.EventProvider{}).Where("event_id = 1").Update("enabled", false).Error)
	p, err = b.Start(ctx, BulkInput{EventID: 1, OrderIDs: []int64{1}})
	must(t, err)
	if !p.Paused || !p.Running {
		t.Errorf("paused run %+v", p)
	}
}

func TestJobScope(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	// A second event of another organizer with one order and a failed job.
	must(t, f.db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at) VALUES (2, 'https://pretix.example', 'other', 'y', ?, ?)`, t0, t0).Error)
	must(t, f.db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, created_at, updated_at) VALUES (2, 2, 'conf', ?, ?)`, t0, t0).Error)
	must(t, f.db.Exec(`INSERT INTO pretix_orders (id, organizer_id, event_id, event_slug, code, status, datetime, last_modified, raw_json, first_seen_at, updated_at)
			VALUES (10, 2, 2, 'conf', 'OTHER', 'p', ?, ?, '{}', ?, ?)`, t0, t0, t0, t0).Error)
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3}, "test", TriggerNewOrder, t0))
	must(t, f.q.Enqueue(ctx, 2, []int64{10}, "test", TriggerNewOrder, t0))
	must(t, f.db.Model(&models.SyncJob{}).Where("1 = 1").Updates(map[string]any{"state": "failed", "failure_mode": "permanent", "last_error": "bad"}).Error)
	must(t, f.db.Model(&models.SyncJob{}).Where("order_id = 3").Update("state", "in_flight").Error)
	id := func(order int64) int64 { return f.job(t, order).ID }
	st := NewStatus(f.db, f.q, f.clock, nil, nil)

	other := id(10)
	r, err := st.RetryIn(ctx, JobScope{EventID: 1}, []int64{id(1), other})
	must(t, err)
	if r.Changed != 1 || r.Skipped != 1 || f.job(t, 10).State != "failed" || f.job(t, 1).State != "pending" {
		t.Errorf("retry in event 1: %+v, other job %s", r, f.job(t, 10).State)
	}
	if _, err := st.CancelIn(ctx, JobScope{OrganizerID: 1}, []int64{other}); apperr.KindOf(err) != apperr.KindNotFound || f.job(t, 10) == nil {
		t.Errorf("cancel of another organizer's job: %v", err)
	}
	r, err = st.CancelIn(ctx, JobScope{OrganizerID: 1}, []int64{id(2), id(3)})
	must(t, err)
	if r.Changed != 1 || r.Skipped != 1 || f.job(t, 2) != nil || f.job(t, 3) == nil {
		t.Errorf("cancel skips the in-flight job: %+v", r)
	}
	if _, err := st.CancelIn(ctx, JobScope{OrderID: 3}, nil); apperr.KindOf(err) != apperr.KindConflict {
		t.Errorf("cancel of an order being transferred: %v", err)
	}
	if _, err := st.RetryIn(ctx, JobScope{OrderID: 4}, nil); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("retry of an order without a job: %v", err)
	}
}
