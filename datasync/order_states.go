package datasync

import (
	"context"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Sync states of an order in the orders list.
const (
	OrderSynced  = "synced"  // sent, nothing queued
	OrderPending = "pending" // queued or being sent
	OrderWaiting = "waiting" // queued for later (setup, rate limit, backoff)
	OrderError   = "error"   // failed, or failed and retried automatically
)

// OrderSyncState is an order's sync state for the orders list: the most
// serious over its providers, with the time it refers to (sent, queued,
// next attempt or failed).
type OrderSyncState struct {
	State string    `json:"state"` // one of the Order* states; absent when never synced
	At    time.Time `json:"at"`
}

var orderStateRank = map[string]int{OrderSynced: 1, OrderPending: 2, OrderWaiting: 3, OrderError: 4}

// OrderStates returns the sync states of the given orders (a page of the
// orders list); orders never queued nor sent are left out.
func (s *Status) OrderStates(ctx context.Context, orderIDs []int64) (map[int64]OrderSyncState, error) {
	out := map[int64]OrderSyncState{}
	if len(orderIDs) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var sent []struct {
		OrderID int64
		Last    string
	}
	if err := db.Raw(`SELECT order_id, MAX(transmitted_at) AS last FROM sync_results WHERE order_id IN ? AND action <> 'skipped' GROUP BY order_id`,
		orderIDs).Scan(&sent).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	for _, r := range sent {
		if t, ok := parseStored(r.Last); ok {
			out[r.OrderID] = OrderSyncState{State: OrderSynced, At: t}
		}
	}
	var jobs []models.SyncJob
	if err := db.Select("order_id, state, not_before, attempts, last_error, triggered_at, updated_at").
		Where("order_id IN ?", orderIDs).Find(&jobs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	now := s.clock.Now()
	for _, j := range jobs {
		st := OrderSyncState{State: OrderPending, At: j.TriggeredAt.UTC()}
		switch {
		case j.State == models.JobFailed, j.State == models.JobPending && j.Attempts > 0 && j.LastError != "":
			st = OrderSyncState{State: OrderError, At: j.UpdatedAt.UTC()}
		case j.State == models.JobPending && j.NotBefore.After(now):
			st = OrderSyncState{State: OrderWaiting, At: j.NotBefore.UTC()}
		}
		if orderStateRank[st.State] > orderStateRank[out[j.OrderID].State] {
			out[j.OrderID] = st
		}
	}
	return out, nil
}
