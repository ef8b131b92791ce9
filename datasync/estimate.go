package datasync

import (
	"context"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Estimator is implemented by providers that can say what transferring a
// number of an event's orders costs them.
type Estimator interface {
	Name() string
	// EstimateBulk returns nil when the event is not set up for the
	// provider (nothing would be sent).
	EstimateBulk(ctx context.Context, eventID int64, orders int) (*Estimate, error)
}

// Estimate is what a bulk run costs one provider.
type Estimate struct {
	Provider    string `json:"provider"`
	DisplayName string `json:"display_name"`
	// Requests to the provider's API, rounded up.
	Requests int `json:"requests"`
	// RequestsPerOrder and its basis: "history" (the event's bulk runs,
	// BasisRuns of them) or "mappings" (no bulk run yet: a count of the
	// calls the mappings need per batch).
	RequestsPerOrder float64 `json:"requests_per_order"`
	Basis            string  `json:"basis"`
	BasisRuns        int     `json:"basis_runs"`
	// Seconds at the account's request limit (PerWindow per WindowSeconds).
	Seconds       float64 `json:"seconds"`
	PerWindow     int     `json:"per_window"`
	WindowSeconds float64 `json:"window_seconds"`
	// The daily limit where the provider reports one (0 and -1: unknown).
	DailyLimit     int  `json:"daily_limit"`
	DailyRemaining int  `json:"daily_remaining"`
	ExceedsDaily   bool `json:"exceeds_daily"`
}

// BulkEstimate is what the "Sync orders…" dialog shows before a run.
type BulkEstimate struct {
	Orders    int        `json:"orders"`  // orders that would be queued
	Skipped   int        `json:"skipped"` // test-mode orders, never transferred
	Providers []Estimate `json:"providers"`
}

// Estimate says what starting the run in would queue and cost, and starts
// nothing.
func (b *Bulk) Estimate(ctx context.Context, in BulkInput) (*BulkEstimate, error) {
	live, skipped, _, err := b.selectOrders(ctx, in)
	if err != nil {
		return nil, err
	}
	ests, err := b.estimates(ctx, in.EventID, len(live))
	if err != nil {
		return nil, err
	}
	return &BulkEstimate{Orders: len(live), Skipped: skipped, Providers: ests}, nil
}

// estimates asks the event's enabled providers.
func (b *Bulk) estimates(ctx context.Context, eventID int64, orders int) ([]Estimate, error) {
	if len(b.estimators) == 0 {
		return []Estimate{}, nil
	}
	var enabled []string
	if err := b.db.WithContext(ctx).Model(&models.EventProvider{}).Where("event_id = ? AND enabled", eventID).
		Pluck("provider", &enabled).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	on := map[string]bool{}
	for _, p := range enabled {
		on[p] = true
	}
	out := []Estimate{}
	for _, e := range b.estimators {
		if !on[e.Name()] {
			continue
		}
		est, err := e.EstimateBulk(ctx, eventID, orders)
		if err != nil {
			return nil, err
		}
		if est != nil {
			out = append(out, *est)
		}
	}
	return out, nil
}
