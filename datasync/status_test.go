package datasync

import (
	"context"
	"testing"
	"time"

	"pretix-hubspot/models"
)

type namedProvider struct{ name, display string }

func (p namedProvider) Name() string                            { return p.name }
func (p namedProvider) DisplayName() string                     { return p.display }
func (p namedProvider) Sync(context.Context, Batch) []JobResult { return nil }

func TestStatusOrderAndProblems(t *testing.T) {
	f := newFixture(t, 6)
	ctx := context.Background()
	pokes := 0
	st := NewStatus(f.db, f.q, f.clock, []Provider{namedProvider{"test", "Test CRM"}}, func() { pokes++ })
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3, 4, 5}, "test", TriggerNewOrder, time.Time{}))
	set := func(order int64, cols map[string]any) {
		must(t, f.db.Model(&models.SyncJob{}).Where("order_id = ?", order).Updates(cols).Error)
	}
	set(1, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Email address x is invalid"})
	set(2, map[string]any{"state": "failed", "failure_mode": "config", "attempts": 1, "last_error": "Value map: pretix option “X” has no HubSpot value. Edit the value mapping."})
	set(3, map[string]any{"state": "failed", "failure_mode": "permanent", "attempts": 1, "last_error": "Email address x is invalid"})
	set(4, map[string]any{"attempts": 2, "last_error": "Bad Gateway", "not_before": t0.Add(time.Hour)})
	// Order 5 is merely pending; order 6 has no job but a result.
	must(t, f.db.Create(&models.SyncResult{OrderID: 6, MappingID: 9, Provider: "test", ObjectType: "contacts", IDProperty: "email",
		IDValue: "a@example.org", ExternalID: "77", ExternalLink: "https://app.hubspot.com/contacts/1/record/0-1/77", Action: "created", TransmittedAt: t0}).Error)

	os, err := st.OrderStatus(ctx, 4)
	must(t, err)
	if len(os) != 1 || os[0].DisplayName != "Test CRM" || !os[0].Enabled || os[0].Job == nil {
		t.Fatalf("order 4 status %+v", os)
	}
	if j := os[0].Job; j.State != StateWaiting || j.Label != "Error. Retry 2 of 5." || j.MaxAttempts != 5 || !j.NotBefore.Equal(t0.Add(time.Hour)) {
		t.Errorf("order 4 job %+v", j)
	}
	os, err = st.OrderStatus(ctx, 1)
	must(t, err)
	if j := os[0].Job; j.State != StateFailed || j.Label != "Provider reported a permanent error" || j.Error != "Email address x is invalid" {
		t.Errorf("order 1 job %+v", j)
	}
	// Order 5 runs: the box says since when.
	if jobs, _ := f.q.Claim(ctx, "test", "w", 1, time.Minute); len(jobs) != 1 || jobs[0].OrderID != 5 {
		t.Fatalf("claimed %+v", jobs)
	}
	os, err = st.OrderStatus(ctx, 5)
	must(t, err)
	if j := os[0].Job; j.State != StateInFlight || j.InFlightSince == nil || !j.InFlightSince.Equal(t0) {
		t.Errorf("order 5 job %+v", j)
	}
	must(t, f.q.Finish(ctx, os[0].Job.ID, "w", Outcome{Kind: OutcomeWait, RetryAfter: t0}))
	os, err = st.OrderStatus(ctx, 6)
	must(t, err)
	if os[0].Job != nil || len(os[0].Results) != 1 || os[0].Results[0].Link == "" {
		t.Errorf("order 6 status %+v", os)
	}

	for _, tc := range []struct {
		q     ProblemQuery
		total int
		first string // order code of the first item
	}{
		{ProblemQuery{EventID: 1}, 4, "ORD04"},
		{ProblemQuery{OrganizerID: 1}, 4, "ORD04"},
		{ProblemQuery{EventID: 1, Mode: models.FailurePermanent}, 2, "ORD03"},
		{ProblemQuery{EventID: 1, Mode: ModeRetrying}, 1, "ORD04"},
		{ProblemQuery{EventID: 1, Provider: "other"}, 0, ""},
		{ProblemQuery{EventID: 1, Limit: 1, Offset: 1}, 4, "ORD03"},
	} {
		pl, err := st.Problems(ctx, tc.q)
		must(t, err)
		if pl.Total != tc.total || (tc.first != "" && (len(pl.Items) == 0 || pl.Items[0].OrderCode != tc.first)) || (tc.first == "" && len(pl.Items) != 0) {
			t.Errorf("%+v: total %d, items %+v", tc.q, pl.Total, pl.Items)
		}
	}
	pl, err := st.Problems(ctx, ProblemQuery{EventID: 1})
	must(t, err)
	if len(pl.ByMode) != 3 || pl.ByMode[0].Mode != "permanent" || pl.ByMode[0].Count != 2 || pl.ByMode[0].Label != "Provider reported a permanent error" {
		t.Errorf("by mode %+v", pl.ByMode)
	}
	if len(pl.ByCause) != 3 || pl.ByCause[0].Error != "Email address x is invalid" || pl.ByCause[0].Count != 2 {
		t.Errorf("by cause %+v", pl.ByCause)
	}
	labels := map[string]string{}
	for _, it := range pl.Items {
		labels[it.OrderCode] = it.Label
	}
	if labels["ORD02"] != "Misconfiguration, please check provider settings" || labels["ORD04"] != "Error. Retry 2 of 5." {
		t.Errorf("labels %v", labels)
	}

	// The organizer page lists only events where the provider is enabled.
	must(t, f.db.Exec(`UPDATE event_providers SET enabled = 0`).Error)
	pl, err = st.Problems(ctx, ProblemQuery{OrganizerID: 1})
	must(t, err)
	if pl.Total != 0 {
		t.Errorf("disabled provider's problems listed: %+v", pl)
	}
	must(t, f.db.Exec(`UPDATE event_providers SET enabled = 1`).Error)

	has, err := st.HasProblems(ctx, 1)
	must(t, err)
	if !has {
		t.Fatal("no problems reported")
	}
	ids := []int64{f.job(t, 1).ID, f.job(t, 2).ID, f.job(t, 3).ID, f.job(t, 4).ID}
	n, err := st.Retry(ctx, ids[:2])
	must(t, err)
	if n != 2 || pokes != 1 {
		t.Fatalf("retried %d, pokes %d", n, pokes)
	}
	if j := f.job(t, 1); j.State != models.JobPending || j.Attempts != 0 || j.FailureMode != "" || j.TriggeredBy != TriggerRetry {
		t.Fatalf("retried job %+v", j)
	}
	claimed, err := f.q.Claim(ctx, "test", "w", 10, time.Minute) // orders 1, 2 (retried) and 5
	must(t, err)
	n, err = st.Cancel(ctx, append(ids[2:], claimed[0].ID))
	must(t, err)
	if n != 2 || f.job(t, claimed[0].OrderID) == nil {
		t.Fatalf("canceled %d; the running job must stay", n)
	}
	has, err = st.HasProblems(ctx, 1)
	must(t, err)
	if has {
		t.Fatal("problems remain after retry and cancel")
	}
	if _, err := st.Retry(ctx, nil); err == nil {
		t.Fatal("empty retry accepted")
	}
}

func TestStatusCountsAndCancelPending(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	st := NewStatus(f.db, f.q, f.clock, nil, nil)
	must(t, f.q.Enqueue(ctx, 1, []int64{1, 2, 3, 4}, "test", TriggerBulk, time.Time{}))
	must(t, f.q.Enqueue(ctx, 1, []int64{5}, "test", TriggerNewOrder, time.Time{}))
	// The live lane goes first: order 5's job, then the backfill's oldest.
	live, err := f.q.Claim(ctx, "test", "w", 1, time.Minute)
	must(t, err)
	if len(live) != 1 || live[0].OrderID != 5 {
		t.Fatalf("first claim %+v, want the live order 5", live)
	}
	jobs, err := f.q.Claim(ctx, "test", "w", 1, time.Minute)
	must(t, err)
	must(t, f.db.Model(&models.SyncJob{}).Where("order_id = 4").Updates(map[string]any{"state": "failed", "failure_mode": "config"}).Error)
	c, err := st.Counts(ctx, 1, "test", TriggerBulk)
	must(t, err)
	if *c != (QueueCounts{Pending: 2, InFlight: 1, Failed: 1}) || jobs[0].OrderID != 1 {
		t.Fatalf("bulk counts %+v (claimed %d)", c, jobs[0].OrderID)
	}
	if c, _ := st.Counts(ctx, 1, "", ""); c.Pending != 2 || c.InFlight != 2 {
		t.Fatalf("all counts %+v", c)
	}
	n, err := st.CancelPending(ctx, 1, "test", TriggerBulk)
	must(t, err)
	if n != 2 || f.job(t, 1) == nil || f.job(t, 4) == nil || f.job(t, 5) == nil || f.job(t, 2) != nil {
		t.Fatalf("canceled %d; running, failed and other triggers must stay", n)
	}
}
