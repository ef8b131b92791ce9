package hubspotsync

import (
	"strings"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

// While an event's HubSpot setup is unfinished, its orders wait with the
// reason instead of failing, and sync once the setup is woken complete.
func TestUnfinishedSetupWaitsInsteadOfFailing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(h *harness) // the unfinished setup
		finish func(h *harness) // what the user does next
		reason string
	}{
		{"no mapping yet", func(h *harness) {}, func(h *harness) { h.contactMappings() },
			"Waiting for a HubSpot mapping"},
		{"identifier property still to be created", func(h *harness) {
			h.mapping(1, models.SourceOrder, "deals", "order_code", "pretix_order_id", nil, "order_code>dealname:overwrite")
		}, func(h *harness) {
			h.must(h.fake.AddProperty(hubA, "deals", hubspotfake.Property{Name: "pretix_order_id", Label: "pretix order ID", Type: "string", FieldType: "text", HasUniqueValue: true}))
		}, "Waiting: the deal property “pretix_order_id” does not exist yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.addProperties(hubA)
			h.connect(hubA)
			tc.before(h)
			codes := simpleOrders(h, "a@example.org", "b@example.org")
			h.sync(codes...)
			for _, c := range codes {
				j := h.job(c)
				if j == nil || j.State != models.JobPending || !strings.HasPrefix(j.WaitReason, tc.reason) || j.WaitCode != models.WaitSetup || j.Attempts != 0 || j.FailureMode != "" {
					t.Fatalf("order %s: job %+v; want pending, waiting with %q", c, j, tc.reason)
				}
				if want := h.clock.Now().Add(SetupRetry); !j.NotBefore.Equal(want.UTC()) {
					t.Errorf("order %s waits until %v, want %v", c, j.NotBefore, want)
				}
			}
			status := datasync.NewStatus(h.db, h.q, h.clock, []datasync.Provider{h.prov}, nil)
			if has, err := status.HasProblems(h.ctx, h.event); err != nil || has {
				t.Errorf("HasProblems = %v, %v during setup; want no problem", has, err)
			}
			if len(h.logs(codes[0])) != 0 {
				t.Errorf("the order's history got %+v during setup", h.logs(codes[0]))
			}

			tc.finish(h)
			n, err := h.q.Wake(h.ctx, h.event, ProviderName)
			h.must(err)
			if n != int64(len(codes)) {
				t.Fatalf("woke %d jobs, want %d", n, len(codes))
			}
			h.must(h.runner.RunOnce(h.ctx))
			h.done(codes...)
			for _, r := range h.results(codes[0]) {
				if r.EventID != h.event {
					t.Errorf("result %+v does not name the order's event %d", r, h.event)
				}
			}
		})
	}
}

// Waking touches only the event's waiting jobs: a job backing off after an
// error keeps its delay.
func TestWakeLeavesBackoffAlone(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	codes := simpleOrders(h, "a@example.org")
	ids := []int64{h.orders[codes[0]]}
	h.must(h.q.Enqueue(h.ctx, h.event, ids, ProviderName, "manual", time.Time{}))
	later := h.clock.Now().Add(time.Hour).UTC()
	h.must(h.db.Model(&models.SyncJob{}).Where("order_id = ?", ids[0]).Updates(map[string]any{"not_before": later, "attempts": 1, "last_error": "HubSpot timed out"}).Error)
	n, err := h.q.Wake(h.ctx, h.event, ProviderName)
	h.must(err)
	if j := h.job(codes[0]); n != 0 || !j.NotBefore.Equal(later) {
		t.Errorf("woke %d; job waits until %v, want %v", n, j.NotBefore, later)
	}
}

// Problems group by cause, not by message: two invalid e-mails fail with
// messages naming each address, yet count as one cause with a fix-it, and
// "Retry these N" retries exactly them.
func TestProblemsGroupByCause(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	codes := simpleOrders(h, "broken@@example", "good@example.org", "also@@broken")
	h.sync(codes...)
	a, b := h.failed("S01", models.FailurePermanent, "broken@@example"), h.failed("S03", models.FailurePermanent, "also@@broken")
	if a.LastError == b.LastError || a.Cause == "" || a.Cause != b.Cause || strings.Contains(a.Cause, "broken") {
		t.Fatalf("causes %q / %q for messages %q / %q: want one cause without the values", a.Cause, b.Cause, a.LastError, b.LastError)
	}
	status := datasync.NewStatus(h.db, h.q, h.clock, []datasync.Provider{h.prov}, nil)
	l, err := status.Problems(h.ctx, datasync.ProblemQuery{EventID: h.event})
	h.must(err)
	if len(l.ByCause) != 1 || l.ByCause[0].Count != 2 || l.ByCause[0].Cause != a.Cause || !strings.Contains(l.ByCause[0].ErrorJSON, `"fix":"mapping"`) {
		t.Fatalf("by cause %+v; want one cause of 2 with a mapping fix", l.ByCause)
	}
	res, err := status.RetryCause(h.ctx, datasync.JobScope{EventID: h.event}, models.FailurePermanent, a.Cause)
	h.must(err)
	if res.Changed != 2 {
		t.Errorf("Retry these 2 changed %d", res.Changed)
	}
	for _, c := range []string{"S01", "S03"} {
		if j := h.job(c); j == nil || j.State != models.JobPending || j.Cause != "" {
			t.Errorf("order %s after Retry these 2: %+v", c, j)
		}
	}
	if _, err := status.RetryCause(h.ctx, datasync.JobScope{EventID: h.event}, models.FailurePermanent, a.Cause); err == nil {
		t.Error("retrying a cause no order has any more succeeded")
	}
}

// The fix-it a cause offers follows from the failure, not from its words.
func TestFailureFix(t *testing.T) {
	mp := &mapPlan{m: models.ObjectMapping{ID: 7}, ot: "contacts"}
	for _, tc := range []struct {
		name   string
		mode   string
		detail map[string]any
		about  string // property the failure is about; "-" for no mapping
		want   string
	}{
		{"not connected", models.FailureConfig, map[string]any{"category": "NOT_CONNECTED"}, "-", "reconnect"},
		{"needs reconnect", models.FailureConfig, map[string]any{"category": "NEEDS_RECONNECT"}, "-", "reconnect"},
		{"missing scope", models.FailureConfig, map[string]any{"category": "MISSING_SCOPES", "status": 403}, "-", "reconnect"},
		{"value map", models.FailureConfig, map[string]any{"code": CodeValueMapMissing}, "diets", "value_map"},
		{"deleted property", models.FailureConfig, map[string]any{"code": codeMappingInvalid}, "", "mapping"},
		{"invalid value", models.FailurePermanent, map[string]any{"code": CodeNotANumber}, "annualrevenue", "mapping"},
		{"HubSpot validation", models.FailurePermanent, map[string]any{"category": "VALIDATION_ERROR", "properties": []string{"email"}}, "", "mapping"},
		{"server error", models.FailureExceeded, map[string]any{"status": 502}, "", ""},
	} {
		f := &failure{mode: tc.mode, detail: tc.detail}
		if tc.about != "-" {
			f.about(mp, tc.about)
		}
		if got := f.fix(); got != tc.want {
			t.Errorf("%s: fix %q, want %q", tc.name, got, tc.want)
		}
	}
}
