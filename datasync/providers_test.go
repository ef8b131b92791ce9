package datasync

import (
	"context"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

type describedProvider struct{ namedProvider }

func (describedProvider) Description() string { return "Send orders to the test CRM." }

func TestProvidersEnableDisableKeepsJobs(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	ps := NewProviders(f.db, f.clock, []Provider{namedProvider{"test", "Test CRM"}, describedProvider{namedProvider{"crm", "CRM"}}})
	must(t, f.q.Enqueue(ctx, f.event, []int64{1, 2, 3}, "crm", TriggerManual, time.Time{}))

	p, err := ps.Plugin(ctx, f.event, "crm")
	if err != nil || p.Enabled || p.ID != "crm" || p.Label != "CRM" || p.Description != "Send orders to the test CRM." || p.Category != "integrations" {
		t.Fatalf("fresh plugin = %+v, %v", p, err)
	}
	if p, err = ps.SetEnabled(ctx, f.event, "crm", true); err != nil || !p.Enabled || !strings.Contains(p.Message, "CRM is enabled") {
		t.Fatalf("enable = %+v, %v", p, err)
	}
	if p, err = ps.SetEnabled(ctx, f.event, "crm", false); err != nil || p.Enabled {
		t.Fatalf("disable = %+v, %v", p, err)
	}
	if p.PendingJobs != 3 || !strings.Contains(p.Message, "3 pending syncs wait until you enable CRM again") {
		t.Errorf("disable message %q, pending %d", p.Message, p.PendingJobs)
	}
	var n int64
	f.db.Model(&models.SyncJob{}).Where("provider = 'crm'").Count(&n)
	if n != 3 {
		t.Errorf("jobs after disable = %d, want all 3 kept", n)
	}
	// One row per event and provider, however often it is toggled.
	f.db.Model(&models.EventProvider{}).Where("provider = 'crm'").Count(&n)
	if n != 1 {
		t.Errorf("event_providers rows = %d", n)
	}
	list, err := ps.Plugins(ctx, f.event)
	if err != nil || len(list) != 2 || list[0].ID != "test" || !list[0].Enabled || list[1].ID != "crm" || list[1].Enabled {
		t.Errorf("plugins = %+v, %v", list, err)
	}
	if _, err := ps.SetEnabled(ctx, f.event, "salesforce", true); apperr.KindOf(err) != apperr.KindNotFound || !strings.Contains(err.Error(), "Available: test, crm.") {
		t.Errorf("unknown plugin: %v", err)
	}
}

func TestProvidersActivateKeepsTheFirstMoment(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	ps := NewProviders(f.db, f.clock, []Provider{namedProvider{"crm", "CRM"}, namedProvider{"other", "Other"}})
	activated := func(name string) *time.Time {
		var ep models.EventProvider
		if err := f.db.Where("event_id = ? AND provider = ?", f.event, name).Take(&ep).Error; err != nil {
			return nil
		}
		return ep.ActivatedAt
	}
	first := f.clock.Now().UTC()
	must(t, ps.Activate(ctx, f.event, "crm"))
	if at := activated("crm"); at == nil || !at.Equal(first) {
		t.Fatalf("activated_at = %v, want %v (row created when missing)", at, first)
	}
	// Activating again later keeps the first moment: it decides which orders are queued.
	f.clock.Advance(time.Hour)
	must(t, ps.Activate(ctx, f.event, "crm"))
	if at := activated("crm"); at == nil || !at.Equal(first) {
		t.Errorf("activated_at moved to %v", at)
	}
	// An existing, enabled row stays enabled and gets its activation.
	if _, err := ps.SetEnabled(ctx, f.event, "other", true); err != nil {
		t.Fatal(err)
	}
	must(t, ps.Activate(ctx, f.event, "other"))
	st, err := ps.EventStates(ctx, f.event)
	if err != nil || !st["other"].Enabled || st["other"].ActivatedAt == nil || !st["other"].ActivatedAt.Equal(f.clock.Now().UTC()) {
		t.Errorf("other: %+v, %v", st["other"], err)
	}
	if st["crm"].Enabled || st["crm"].ActivatedAt == nil {
		t.Errorf("crm: %+v (activation does not enable)", st["crm"])
	}
	if err := ps.Activate(ctx, f.event, "nope"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("unknown provider: %v", err)
	}
}
