package pretix

import (
	"context"
	"fmt"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// RefreshOneByOne is the most orders RefreshOrders reads one by one; more
// are brought up to date by the organizer's incremental pull, which reads
// every order changed since the last pull in pages of many.
const RefreshOneByOne = 20

// RefreshOrders reads stored orders of an event again from pretix, so Sync
// now, Retry now and bulk syncs send what pretix holds now rather than the
// copy of the last pull or webhook. Its errors say what pretix answered.
func (s *Service) RefreshOrders(ctx context.Context, eventID int64, orderIDs []int64) error {
	if len(orderIDs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var ev models.PretixEvent
	if err := s.db.WithContext(ctx).Select("id, organizer_id, slug").Take(&ev, eventID).Error; err != nil {
		return apperr.NotFound("event_not_found", "This event does not exist (any more). Refresh the organizer's event list.").Wrap(err)
	}
	if len(orderIDs) > RefreshOneByOne {
		if _, err := s.PullOrganizer(ctx, ev.OrganizerID); err != nil {
			return refreshErr(err)
		}
		return nil
	}
	var codes []string
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("event_id = ? AND id IN ?", eventID, orderIDs).
		Order("id").Pluck("code", &codes).Error; err != nil {
		return apperr.Internal(err)
	}
	gone, err := s.fetchOrders(ctx, ev.OrganizerID, ev.Slug, codes, SourceRefresh)
	if err != nil {
		if ae, ok := apperr.As(err); ok && ae.Code == "pretix_organizer_not_found" {
			return err
		}
		return refreshErr(err)
	}
	if gone != "" {
		return apperr.NotFound("pretix_order_gone", fmt.Sprintf(
			"pretix no longer has order %s (it may have been deleted), so it was not synced. Reload the order list.", gone))
	}
	return nil
}

// refreshErr keeps pretix's own explanation and says what did not happen.
func refreshErr(err error) error {
	msg := "pretix could not be asked for the current order data."
	if ae, ok := apperr.As(err); ok && ae.Kind != apperr.KindInternal {
		msg = ae.Message
	}
	return apperr.New(apperr.KindUnavailable, "pretix_refresh_failed",
		"The orders were not queued, because their current data could not be read from pretix: "+msg+" Try again in a moment, or check the organizer's pretix connection.").Wrap(err)
}
