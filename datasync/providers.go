package datasync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Describer is implemented by providers that explain themselves on the
// Plugins page.
type Describer interface {
	Description() string
}

// Plugin is one sync provider of an event, as the Plugins page lists it.
type Plugin struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Category    string `json:"category"` // the Plugins page tab
	Enabled     bool   `json:"enabled"`
	// PendingJobs counts the event's queued syncs of this provider; while
	// the plugin is disabled they wait.
	PendingJobs int64 `json:"pending_jobs"`
	// Resync says which pretix changes queue an order that was already
	// synced again; all off is pretix's behaviour (an order is sent once).
	Resync Resync `json:"resync"`
	// Message says what the last change did (set by SetEnabled).
	Message string `json:"message,omitempty"`
}

// Resync are the re-sync triggers of a provider for an event.
type Resync struct {
	Paid     bool `json:"paid"`
	Changed  bool `json:"changed"`
	Canceled bool `json:"canceled"`
}

// PluginState is one entry of an event's "plugins" object.
type PluginState struct {
	Enabled     bool       `json:"enabled"`
	ActivatedAt *time.Time `json:"activated_at"` // orders placed after it are queued automatically
}

// Providers is the engine's record of which provider is enabled and
// activated for which event (table event_providers). The enabled flag gates
// claiming; the activation time decides which orders are queued on their
// own. Nothing else writes that table.
type Providers struct {
	db    *gorm.DB
	clock clockwork.Clock
	list  []Provider
}

// NewProviders returns the registry of the given providers.
func NewProviders(db *gorm.DB, clock clockwork.Clock, providers []Provider) *Providers {
	return &Providers{db: db, clock: clock, list: providers}
}

func (ps *Providers) find(name string) (Provider, error) {
	names := make([]string, 0, len(ps.list))
	for _, p := range ps.list {
		if p.Name() == name {
			return p, nil
		}
		names = append(names, p.Name())
	}
	return nil, apperr.NotFound("plugin_not_found", "There is no plugin "+name+". Available: "+strings.Join(names, ", ")+".")
}

// Plugins lists every provider for an event.
func (ps *Providers) Plugins(ctx context.Context, eventID int64) ([]*Plugin, error) {
	out := make([]*Plugin, 0, len(ps.list))
	for _, p := range ps.list {
		pl, err := ps.plugin(ctx, eventID, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	return out, nil
}

// Plugin returns one provider of an event.
func (ps *Providers) Plugin(ctx context.Context, eventID int64, name string) (*Plugin, error) {
	p, err := ps.find(name)
	if err != nil {
		return nil, err
	}
	return ps.plugin(ctx, eventID, p)
}

func (ps *Providers) plugin(ctx context.Context, eventID int64, p Provider) (*Plugin, error) {
	pl := &Plugin{ID: p.Name(), Label: p.DisplayName(), Category: "integrations"}
	if d, ok := p.(Describer); ok {
		pl.Description = d.Description()
	}
	var ep models.EventProvider
	err := ps.db.WithContext(ctx).Where("event_id = ? AND provider = ?", eventID, p.Name()).Take(&ep).Error
	switch {
	case err == nil:
		pl.Enabled = ep.Enabled
		pl.Resync = Resync{Paid: ep.ResyncOnPaid, Changed: ep.ResyncOnChanged, Canceled: ep.ResyncOnCanceled}
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, apperr.Internal(fmt.Errorf("load %s plugin of event %d: %w", p.Name(), eventID, err))
	}
	if err := ps.db.WithContext(ctx).Model(&models.SyncJob{}).
		Where("event_id = ? AND provider = ? AND state <> ?", eventID, p.Name(), models.JobFailed).
		Count(&pl.PendingJobs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	return pl, nil
}

// SetEnabled enables or disables a provider for an event. Disabling keeps
// the connection, the mappings, the results and the queued jobs: the queue
// does not claim jobs of disabled providers, so they wait.
func (ps *Providers) SetEnabled(ctx context.Context, eventID int64, name string, enabled bool) (*Plugin, error) {
	p, err := ps.find(name)
	if err != nil {
		return nil, err
	}
	now := ps.clock.Now().UTC()
	row := models.EventProvider{EventID: eventID, Provider: name, Enabled: enabled, CreatedAt: now, UpdatedAt: now}
	if err := ps.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "event_id"}, {Name: "provider"}},
		DoUpdates: clause.Assignments(map[string]any{"enabled": enabled, "updated_at": now}),
	}).Create(&row).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("set %s plugin of event %d: %w", name, eventID, err))
	}
	pl, err := ps.plugin(ctx, eventID, p)
	if err != nil {
		return nil, err
	}
	label := pl.Label
	switch {
	case enabled:
		pl.Message = fmt.Sprintf("%s is enabled for this event; connect a %s account next.", label, label)
	case pl.PendingJobs > 0:
		waits := "syncs wait"
		if pl.PendingJobs == 1 {
			waits = "sync waits"
		}
		pl.Message = fmt.Sprintf("%s is disabled. The connection and mappings are kept. %d pending %s until you enable %s again.",
			label, pl.PendingJobs, waits, label)
	default:
		pl.Message = fmt.Sprintf("%s is disabled. The connection and mappings are kept. Pending syncs wait until you enable %s again.", label, label)
	}
	return pl, nil
}

// SetResync sets which pretix changes queue a synced order again. The
// provider's row is created (disabled) when the event has none yet.
func (ps *Providers) SetResync(ctx context.Context, eventID int64, name string, r Resync) (*Plugin, error) {
	p, err := ps.find(name)
	if err != nil {
		return nil, err
	}
	now := ps.clock.Now().UTC()
	row := models.EventProvider{EventID: eventID, Provider: name, ResyncOnPaid: r.Paid, ResyncOnChanged: r.Changed,
		ResyncOnCanceled: r.Canceled, CreatedAt: now, UpdatedAt: now}
	if err := ps.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "event_id"}, {Name: "provider"}},
		DoUpdates: clause.Assignments(map[string]any{"resync_on_paid": r.Paid, "resync_on_changed": r.Changed,
			"resync_on_canceled": r.Canceled, "updated_at": now}),
	}).Create(&row).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("set %s re-sync triggers of event %d: %w", name, eventID, err))
	}
	pl, err := ps.plugin(ctx, eventID, p)
	if err != nil {
		return nil, err
	}
	if r.Paid || r.Changed || r.Canceled {
		pl.Message = fmt.Sprintf("%s records are kept up to date: an order is synced again when it changes as chosen.", pl.Label)
	} else {
		pl.Message = fmt.Sprintf("An order is synced to %s once, when it is placed (as pretix does).", pl.Label)
	}
	return pl, nil
}

// Activate records the moment a provider first became usable for an event
// (e.g. the event was linked to a working account); a later call keeps the
// first moment, since it decides which orders are queued automatically.
func (ps *Providers) Activate(ctx context.Context, eventID int64, name string) error {
	if _, err := ps.find(name); err != nil {
		return err
	}
	now := ps.clock.Now().UTC()
	err := ps.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ep := models.EventProvider{EventID: eventID, Provider: name, ActivatedAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ep).Error; err != nil {
			return err
		}
		return tx.Model(&models.EventProvider{}).
			Where("event_id = ? AND provider = ? AND activated_at IS NULL", eventID, name).
			Updates(map[string]any{"activated_at": now, "updated_at": now}).Error
	})
	if err != nil {
		return apperr.Internal(fmt.Errorf("activate %s for event %d: %w", name, eventID, err))
	}
	return nil
}

// EventStates returns an event's "plugins" object, e.g.
// {"hubspot": {"enabled": true}}; every known provider is present.
func (ps *Providers) EventStates(ctx context.Context, eventID int64) (map[string]PluginState, error) {
	all, err := ps.states(ctx, "event_id = ?", eventID)
	if err != nil {
		return nil, err
	}
	if st, ok := all[eventID]; ok {
		return st, nil
	}
	return ps.Blank(), nil
}

// OrganizerStates returns the plugins objects of every event of an
// organizer that has provider rows, in one query.
func (ps *Providers) OrganizerStates(ctx context.Context, organizerID int64) (map[int64]map[string]PluginState, error) {
	return ps.states(ctx, "event_id IN (SELECT id FROM pretix_events WHERE organizer_id = ?)", organizerID)
}

// Blank is the plugins object of an event without provider rows.
func (ps *Providers) Blank() map[string]PluginState {
	out := make(map[string]PluginState, len(ps.list))
	for _, p := range ps.list {
		out[p.Name()] = PluginState{}
	}
	return out
}

func (ps *Providers) states(ctx context.Context, where string, arg int64) (map[int64]map[string]PluginState, error) {
	var rows []models.EventProvider
	if err := ps.db.WithContext(ctx).Where(where, arg).Find(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := map[int64]map[string]PluginState{}
	for _, r := range rows {
		if out[r.EventID] == nil {
			out[r.EventID] = ps.Blank()
		}
		out[r.EventID][r.Provider] = PluginState{Enabled: r.Enabled, ActivatedAt: r.ActivatedAt}
	}
	return out, nil
}
