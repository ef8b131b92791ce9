package datasync

import (
	"context"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Refresher reads orders again from pretix before a person's sync (Sync
// now, Retry, bulk), so what is sent is what pretix holds now and not the
// copy of the last pull. *pretix.Service implements it.
type Refresher interface {
	RefreshOrders(ctx context.Context, eventID int64, orderIDs []int64) error
}

// RefreshWith makes SyncNow read the orders again first. The refresher's
// error is the caller's: nothing is queued.
func (e *Enqueuer) RefreshWith(r Refresher) { e.refresh = r }

// RefreshWith makes Retry read the orders again first.
func (s *Status) RefreshWith(r Refresher) { s.refresh = r }

// refreshJobs reads the orders of jobs again, event by event.
func (s *Status) refreshJobs(ctx context.Context, jobIDs []int64) error {
	if s.refresh == nil || len(jobIDs) == 0 {
		return nil
	}
	var rows []struct{ EventID, OrderID int64 }
	for start := 0; start < len(jobIDs); start += 500 {
		var part []struct{ EventID, OrderID int64 }
		if err := s.db.WithContext(ctx).Model(&models.SyncJob{}).Select("event_id, order_id").
			Where("id IN ?", jobIDs[start:min(start+500, len(jobIDs))]).Scan(&part).Error; err != nil {
			return apperr.Internal(err)
		}
		rows = append(rows, part...)
	}
	byEvent := map[int64][]int64{}
	var events []int64
	for _, r := range rows {
		if byEvent[r.EventID] == nil {
			events = append(events, r.EventID)
		}
		byEvent[r.EventID] = append(byEvent[r.EventID], r.OrderID)
	}
	for _, ev := range events {
		if err := s.refresh.RefreshOrders(ctx, ev, byEvent[ev]); err != nil {
			return err
		}
	}
	return nil
}
