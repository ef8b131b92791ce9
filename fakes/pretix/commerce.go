package pretixfake

import (
	"errors"
	"fmt"
	"strings"
)

// Changes to an order's contents at run time, as pretix's "Change products"
// and refund screens make them. Each notifies webhooks with pretix's action
// and leaves the total as pretix computes it.

// position finds a live position of an order by its internal id.
func (s *Server) position(org, ev, code string, positionID int64) (Order, *Position, error) {
	o, ok := s.Order(org, ev, code)
	if !ok {
		return o, nil, errUnknown("order", code)
	}
	for i := range o.Positions {
		if p := &o.Positions[i]; p.ID == positionID || (positionID == 0 && p.AddonTo == nil && !p.Canceled) {
			if p.Canceled {
				return o, nil, fmt.Errorf("position %d of order %s is already canceled", p.ID, code)
			}
			return o, p, nil
		}
	}
	if positionID == 0 {
		return o, nil, fmt.Errorf("order %s has no ticket left that is not canceled", code)
	}
	return o, nil, fmt.Errorf("order %s has no position %d", code, positionID)
}

// CancelPosition cancels one position and its add-ons (pretix cancels them
// with their parent). Canceling the last position cancels the order.
// Webhooks get pretix.event.order.changed.cancel.
func (s *Server) CancelPosition(org, ev, code string, positionID int64) (Order, error) {
	_, p, err := s.position(org, ev, code, positionID)
	if err != nil {
		return Order{}, err
	}
	id := p.ID
	return s.ModifyOrder(org, ev, code, "pretix.event.order.changed.cancel", func(o *Order) {
		live := 0
		for i := range o.Positions {
			q := &o.Positions[i]
			if q.ID == id || (q.AddonTo != nil && *q.AddonTo == id) {
				q.Canceled = true
			}
			if !q.Canceled {
				live++
			}
		}
		if live == 0 {
			now := s.clock.Now().UTC()
			o.Status, o.CancellationDate = StatusCanceled, TP(now)
		}
	})
}

// ChangeProduct gives a position another product (and variation, 0 for
// none) at that product's default price. Webhooks get
// pretix.event.order.changed.item.
func (s *Server) ChangeProduct(org, ev, code string, positionID, item, variation int64) (Order, error) {
	_, p, err := s.position(org, ev, code, positionID)
	if err != nil {
		return Order{}, err
	}
	s.mu.Lock()
	_, e, err := s.eventFor(org, ev)
	var price string
	if err == nil {
		price, err = e.price(item, variation)
	}
	s.mu.Unlock()
	if err != nil {
		return Order{}, err
	}
	id := p.ID
	return s.ModifyOrder(org, ev, code, "pretix.event.order.changed.item", func(o *Order) {
		for i := range o.Positions {
			if q := &o.Positions[i]; q.ID == id {
				q.Item, q.Price = item, price
				q.Variation = nil
				if variation != 0 {
					v := variation
					q.Variation = &v
				}
			}
		}
	})
}

// price is a product's (or variation's) default price; the caller holds s.mu.
func (e *event) price(item, variation int64) (string, error) {
	for _, it := range e.items {
		if it.ID != item {
			continue
		}
		if variation == 0 {
			if it.HasVariations {
				return "", fmt.Errorf("product %d has variations: choose one", item)
			}
			return it.DefaultPrice, nil
		}
		for _, v := range it.Variations {
			if v.ID == variation {
				if v.DefaultPrice != nil {
					return *v.DefaultPrice, nil
				}
				return it.DefaultPrice, nil
			}
		}
		return "", fmt.Errorf("product %d has no variation %d", item, variation)
	}
	return "", errUnknown("product", fmt.Sprint(item))
}

// Refund records a refund pretix has carried out (state done) of at most
// what was paid and not yet refunded. Webhooks get
// pretix.event.order.refund.done.
func (s *Server) Refund(org, ev, code, amount string) (Order, error) {
	o, ok := s.Order(org, ev, code)
	if !ok {
		return o, errUnknown("order", code)
	}
	amount = strings.TrimSpace(amount)
	if amount == "" || strings.Trim(amount, "0123456789.") != "" || cents(amount) <= 0 {
		return o, fmt.Errorf("the refund amount %q is not a positive amount like 12.50", amount)
	}
	var paid int64
	for _, p := range o.Payments {
		if p.State == "confirmed" || p.State == "refunded" {
			paid += cents(p.Amount)
		}
	}
	for _, r := range o.Refunds {
		if r.State == "done" {
			paid -= cents(r.Amount)
		}
	}
	if cents(amount) > paid {
		return o, errors.New("the refund is more than what was paid and not refunded yet (" + money(paid) + ")")
	}
	return s.ModifyOrder(org, ev, code, "pretix.event.order.refund.done", func(o *Order) {
		now := Time(s.clock.Now().UTC())
		o.Refunds = append(o.Refunds, Refund{LocalID: len(o.Refunds) + 1, State: "done", Source: "admin", Amount: money(cents(amount)),
			Created: now, ExecutionDate: &now, Provider: "manual", Details: map[string]any{}})
	})
}
