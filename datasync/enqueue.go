package datasync

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// Enqueuer applies the enqueue rules of DESIGN §4. As a pretix.OrderListener
// it queues, for every sync provider set up for the order's event (enabled
// or not: a disabled provider's jobs wait), orders placed after the
// provider was activated — once, when they are new — and, where the event
// asks for it, again when they are paid, changed or canceled. Test-mode
// orders are never queued. SyncNow is the manual and bulk trigger.
type Enqueuer struct {
	db      *gorm.DB
	q       *Queue
	poke    func()
	log     *slog.Logger
	refresh Refresher // nil: send the stored copy
	// followers say, per provider, which events want every change of an
	// order synced whatever their re-sync options (HubSpot's marketing
	// events follow check-ins, which change nothing else).
	followers map[string]func(ctx context.Context, eventIDs []int64) (map[int64]bool, error)
}

// FollowAllChanges makes f decide, per event, whether any change of an order
// (a check-in, a payment, …) queues it for provider. Call it before use.
func (e *Enqueuer) FollowAllChanges(provider string, f func(ctx context.Context, eventIDs []int64) (map[int64]bool, error)) {
	if e.followers == nil {
		e.followers = map[string]func(ctx context.Context, eventIDs []int64) (map[int64]bool, error){}
	}
	e.followers[provider] = f
}

// NewEnqueuer returns an Enqueuer; poke (may be nil) wakes the worker after
// something was queued.
func NewEnqueuer(db *gorm.DB, q *Queue, poke func(), log *slog.Logger) *Enqueuer {
	if poke == nil {
		poke = func() {}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Enqueuer{db: db, q: q, poke: poke, log: log}
}

var _ pretix.OrderListener = (*Enqueuer)(nil)

// triggerFor returns why an order change queues a job for a provider, or
// "" when it does not.
func triggerFor(ep *models.EventProvider, c *pretix.OrderChange) string {
	if ep.ActivatedAt == nil || !c.Datetime.After(*ep.ActivatedAt) {
		// Placed before the integration was active: only people export it.
		return ""
	}
	switch {
	case c.Kinds.Has(pretix.ChangeNew):
		return TriggerNewOrder
	case ep.ResyncOnPaid && c.Kinds.Has(pretix.ChangeStatus) && c.Status == "p" && c.OldStatus != "p":
		return TriggerPaid
	case ep.ResyncOnCanceled && c.Kinds.Has(pretix.ChangeStatus) && c.Status == "c" && c.OldStatus != "c":
		return TriggerCanceled
	case ep.ResyncOnChanged && (c.Kinds.Has(pretix.ChangeContents) || c.Kinds.Has(pretix.ChangeContact)):
		return TriggerChanged
	}
	return ""
}

// OrdersChanged implements pretix.OrderListener. Failures are logged: the
// order is stored and can still be synced by hand.
func (e *Enqueuer) OrdersChanged(ctx context.Context, changes []pretix.OrderChange) {
	if err := e.ordersChanged(ctx, changes); err != nil {
		e.log.Error("queue changed orders for sync", "orders", len(changes), "err", err)
	}
}

type enqueueKey struct {
	event    int64
	provider string
	trigger  string
}

func (e *Enqueuer) ordersChanged(ctx context.Context, changes []pretix.OrderChange) error {
	if len(changes) == 0 {
		return nil
	}
	eventSet := map[int64]bool{}
	orderIDs := make([]int64, 0, len(changes))
	for _, c := range changes {
		eventSet[c.EventID] = true
		orderIDs = append(orderIDs, c.OrderID)
	}
	events := make([]int64, 0, len(eventSet))
	for id := range eventSet {
		events = append(events, id)
	}
	var eps []models.EventProvider
	if err := e.db.WithContext(ctx).Where("event_id IN ?", events).Find(&eps).Error; err != nil {
		return err
	}
	if len(eps) == 0 {
		return nil
	}
	byEvent := map[int64][]*models.EventProvider{}
	for i := range eps {
		byEvent[eps[i].EventID] = append(byEvent[eps[i].EventID], &eps[i])
	}
	test, err := e.testOrders(ctx, orderIDs)
	if err != nil {
		return err
	}
	followed := map[string]map[int64]bool{}
	for provider, f := range e.followers {
		if followed[provider], err = f(ctx, events); err != nil {
			return err
		}
	}
	batches := map[enqueueKey][]int64{}
	var keys []enqueueKey
	for i := range changes {
		c := &changes[i]
		if test[c.OrderID] {
			continue
		}
		for _, ep := range byEvent[c.EventID] {
			t := triggerFor(ep, c)
			if t == "" && followed[ep.Provider][c.EventID] && ep.ActivatedAt != nil && c.Datetime.After(*ep.ActivatedAt) {
				t = TriggerChanged
			}
			if t == "" {
				continue
			}
			k := enqueueKey{c.EventID, ep.Provider, t}
			if _, ok := batches[k]; !ok {
				keys = append(keys, k)
			}
			batches[k] = append(batches[k], c.OrderID)
		}
	}
	for _, k := range keys {
		if err := e.q.Enqueue(ctx, k.event, batches[k], k.provider, k.trigger, time.Time{}); err != nil {
			return err
		}
	}
	if len(keys) > 0 {
		e.poke()
	}
	return nil
}

// testOrders returns which of the orders are test-mode orders (pretix's
// pulls skip them, but a webhook may name one).
func (e *Enqueuer) testOrders(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	for start := 0; start < len(ids); start += 500 {
		var test []int64
		if err := e.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("id IN ? AND testmode", ids[start:min(start+500, len(ids))]).
			Pluck("id", &test).Error; err != nil {
			return nil, err
		}
		for _, id := range test {
			out[id] = true
		}
	}
	return out, nil
}

// SyncNowResult says what SyncNow queued.
type SyncNowResult struct {
	Queued    int      `json:"queued"`    // orders queued (per provider)
	Skipped   int      `json:"skipped"`   // test-mode orders, never synced
	Providers []string `json:"providers"` // providers the orders were queued for
	// Paused lists the providers that are disabled for the event: their
	// jobs wait until the provider is enabled again.
	Paused []string `json:"paused"`
}

// SyncNow queues orders of an event for every provider set up for it and
// wakes the worker: "Sync now" on an order (TriggerManual) and the bulk
// "Sync orders…" action (TriggerBulk). Earlier orders and re-exports after
// a mapping change go this way; failed jobs are revived with a fresh
// attempt budget.
func (e *Enqueuer) SyncNow(ctx context.Context, eventID int64, orderIDs []int64, trigger string) (*SyncNowResult, error) {
	if trigger != TriggerManual && trigger != TriggerBulk {
		return nil, apperr.Internal(fmt.Errorf("datasync: SyncNow with trigger %q", trigger))
	}
	if len(orderIDs) == 0 {
		return nil, apperr.Invalid("sync_no_orders", "Select at least one order to sync.")
	}
	var eps []models.EventProvider
	if err := e.db.WithContext(ctx).Where("event_id = ?", eventID).Order("provider").Find(&eps).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(eps) == 0 {
		return nil, apperr.Invalid("sync_not_set_up",
			"No data transfer is set up for this event. Enable HubSpot under Settings → Plugins and connect it first.")
	}
	ids := dedupe(orderIDs)
	var found []struct {
		ID       int64
		Testmode bool
	}
	for start := 0; start < len(ids); start += 500 {
		var part []struct {
			ID       int64
			Testmode bool
		}
		if err := e.db.WithContext(ctx).Model(&models.PretixOrder{}).Select("id, testmode").
			Where("event_id = ? AND id IN ?", eventID, ids[start:min(start+500, len(ids))]).Scan(&part).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		found = append(found, part...)
	}
	if len(found) != len(ids) {
		return nil, apperr.NotFound("sync_order_not_found",
			fmt.Sprintf("%d of the selected orders do not belong to this event (any more). Reload the order list and try again.", len(ids)-len(found)))
	}
	res := &SyncNowResult{Providers: []string{}, Paused: []string{}}
	queue := make([]int64, 0, len(found))
	for _, o := range found {
		if o.Testmode {
			res.Skipped++
			continue
		}
		queue = append(queue, o.ID)
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i] < queue[j] })
	if len(queue) == 0 {
		return nil, apperr.Invalid("sync_test_orders", "Test-mode orders are never transferred.")
	}
	if e.refresh != nil {
		if err := e.refresh.RefreshOrders(ctx, eventID, queue); err != nil {
			return nil, err
		}
	}
	for _, ep := range eps {
		if err := e.q.Enqueue(ctx, eventID, queue, ep.Provider, trigger, time.Time{}); err != nil {
			return nil, apperr.Internal(err)
		}
		res.Providers = append(res.Providers, ep.Provider)
		if !ep.Enabled {
			res.Paused = append(res.Paused, ep.Provider)
		}
	}
	res.Queued = len(queue)
	e.poke()
	return res, nil
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// SetupChanged wakes the event's orders that wait (for a mapping, a
// property, a rate limit) so they try again now: the provider's setup of
// the event changed and may let them through. Failures are logged; the
// waiting orders still look again by themselves later.
func (e *Enqueuer) SetupChanged(ctx context.Context, eventID int64, provider string) {
	n, err := e.q.Wake(ctx, eventID, provider)
	if err != nil {
		e.log.Warn("wake waiting sync jobs", "event", eventID, "provider", provider, "err", err)
		return
	}
	if n > 0 {
		e.poke()
	}
}
