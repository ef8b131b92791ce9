package datasync

import (
	"context"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// SyncedOrders are the orders of an event a change of one mapping affects
// among those already synced: the orders with results of that mapping, or,
// for a mapping that has none yet (just added), every order of the event
// with results. Test-mode orders have none, so none are included.
func SyncedOrders(ctx context.Context, db *gorm.DB, eventID, mappingID int64) ([]int64, error) {
	var ids []int64
	if err := db.WithContext(ctx).Model(&models.SyncResult{}).Where("mapping_id = ? AND event_id = ?", mappingID, eventID).
		Distinct().Order("order_id").Pluck("order_id", &ids).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(ids) > 0 {
		return ids, nil
	}
	if err := db.WithContext(ctx).Model(&models.SyncResult{}).Where("event_id = ?", eventID).
		Distinct().Order("order_id").Pluck("order_id", &ids).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	return ids, nil
}
