package hubspotsync

import (
	"context"
	"encoding/json"
	"math"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// estimateRuns is how many of the event's latest bulk runs the estimate
// learns from: recent enough to reflect today's mappings.
const estimateRuns = 20

// positionsPerOrder is the guess for position mappings before any run:
// most orders hold one or two tickets.
const positionsPerOrder = 1.5

// EstimateBulk says how many HubSpot requests syncing orders of the event
// takes, from the event's last bulk runs (what they really sent per order)
// or, before the first, from the calls its mappings need per batch; how
// long that takes at the portal's limit; and how much of today's limit it
// uses where HubSpot reports one (private apps only).
func (p *Provider) EstimateBulk(ctx context.Context, eventID int64, orders int) (*datasync.Estimate, error) {
	cl, _, err := p.portals.ClientForEvent(ctx, eventID)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindInternal {
			return nil, err
		}
		return nil, nil // not connected: the run waits, nothing is sent
	}
	est := &datasync.Estimate{Provider: ProviderName, DisplayName: p.DisplayName()}
	perOrder, runs, err := p.historyRate(ctx, eventID)
	if err != nil {
		return nil, err
	}
	est.Basis, est.BasisRuns = "history", runs
	if runs == 0 {
		if perOrder, err = p.mappingsRate(ctx, eventID); err != nil {
			return nil, err
		}
		est.Basis = "mappings"
	}
	if perOrder == 0 {
		return nil, nil // no mappings: nothing would be sent
	}
	lim := cl.Limits()
	est.RequestsPerOrder = math.Round(perOrder*10000) / 10000
	est.Requests = int(math.Ceil(perOrder * float64(orders)))
	est.PerWindow, est.WindowSeconds = lim.PerWindow, lim.Window.Seconds()
	if lim.PerWindow > 0 {
		est.Seconds = math.Ceil(float64(est.Requests) * lim.Window.Seconds() / float64(lim.PerWindow))
	}
	est.DailyLimit, est.DailyRemaining = lim.DailyLimit, lim.DailyRemaining
	est.ExceedsDaily = lim.DailyRemaining >= 0 && est.Requests > lim.DailyRemaining
	return est, nil
}

// historyRate is requests per order over the event's latest bulk runs.
func (p *Provider) historyRate(ctx context.Context, eventID int64) (float64, int, error) {
	var row struct {
		Runs     int
		Orders   int64
		Requests int64
	}
	latest := p.db.Model(&models.SyncRun{}).Select("orders", "requests").
		Where("kind = ? AND event_id = ? AND provider = ? AND lane = ? AND orders > 0", models.RunSync, eventID, ProviderName, "bulk").
		Order("id DESC").Limit(estimateRuns)
	if err := p.db.WithContext(ctx).Table("(?) AS latest", latest).
		Select("COUNT(*) AS runs, COALESCE(SUM(orders), 0) AS orders, COALESCE(SUM(requests), 0) AS requests").Scan(&row).Error; err != nil {
		return 0, 0, apperr.Internal(err)
	}
	if row.Runs == 0 || row.Orders == 0 {
		return 0, 0, nil
	}
	return float64(row.Requests) / float64(row.Orders), row.Runs, nil
}

// mappingsRate counts the calls one batch of hubspot.MaxBatchInputs orders
// needs: per mapping a read and a write (a write only where every row
// overwrites: an upsert), per association one call, per position mapping as
// many as positions per order.
func (p *Provider) mappingsRate(ctx context.Context, eventID int64) (float64, error) {
	oms, props, err := p.loadMappings(ctx, eventID)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	calls := 0.0
	for _, om := range oms {
		per := 1.0
		if om.SourceType == models.SourcePosition {
			per = positionsPerOrder
		}
		c := 1.0
		for _, pm := range props[om.ID] {
			if pm.Mode != models.ModeOverwrite {
				c = 2
				break
			}
		}
		var assoc []int64
		_ = json.Unmarshal([]byte(om.AssociateWithJSON), &assoc)
		calls += per * (c + float64(len(assoc)))
	}
	set, err := LoadMarketingSettings(ctx, p.db, eventID)
	if err != nil {
		return 0, err
	}
	if set.Enabled {
		calls += 2 // the registrations and their contacts
	}
	return calls / hubspot.MaxBatchInputs, nil
}
