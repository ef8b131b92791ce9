package hubspotsync

import (
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// pairKey names one association regardless of its direction.
type pairKey struct {
	a, b hubspot.ObjectType
	aID  string
	bID  string
}

func newPairKey(at hubspot.ObjectType, aID string, bt hubspot.ObjectType, bID string) pairKey {
	if bt < at {
		at, aID, bt, bID = bt, bID, at, aID
	}
	return pairKey{a: at, b: bt, aID: aID, bID: bID}
}

// loadPrevious reads what the orders' last syncs wrote, so associations
// that no longer hold can be removed.
func (r *run) loadPrevious() {
	if !r.associatesDeals() {
		return
	}
	stored, ok := r.storedResults()
	if !ok {
		// Without them nothing is dissociated this time; the next sync of
		// the order tries again.
		return
	}
	r.previous = map[int64][]models.SyncResult{}
	for id, rows := range stored {
		for _, sr := range rows {
			if sr.Action != actionLeftDeal {
				r.previous[id] = append(r.previous[id], sr)
			}
		}
	}
}

// storedResults returns the records the orders' last syncs wrote (those
// with a record id), by order; read once per run, for dissociation and
// healing alike. ok is false when they could not be read.
func (r *run) storedResults() (map[int64][]models.SyncResult, bool) {
	if r.stored != nil {
		return r.stored, true
	}
	ids := make([]int64, 0, len(r.orders))
	for _, o := range r.orders {
		ids = append(ids, o.job.OrderID)
	}
	var rows []models.SyncResult
	if err := r.p.db.WithContext(r.ctx).Where("order_id IN ? AND provider = ? AND external_id <> ''", ids, ProviderName).
		Find(&rows).Error; err != nil {
		r.p.log.Error("load previous hubspot results", "event", r.eventID, "err", err)
		return nil, false
	}
	r.stored = map[int64][]models.SyncResult{}
	for _, sr := range rows {
		r.stored[sr.OrderID] = append(r.stored[sr.OrderID], sr)
	}
	return r.stored, true
}

// associatesDeals reports whether any mapping associates with a deal
// mapping: only those associations are ever removed, so other events skip
// the query.
func (r *run) associatesDeals() bool {
	for _, mp := range r.plans {
		for _, e := range mp.assocTo {
			if mp.ot == hubspot.Deals || r.plans[e].ot == hubspot.Deals {
				return true
			}
		}
	}
	return false
}

// dissociate removes the deal associations an order's last sync made that
// its current data no longer makes — an attendee who changed, a position
// that was canceled — which pretix never does. Only associations with the
// order's own deal go: a contact's link to a company may come from other
// orders. The records themselves stay.
func (r *run) dissociate() {
	if len(r.previous) == 0 {
		return
	}
	planOf := map[int64]*mapPlan{}
	for _, mp := range r.plans {
		planOf[mp.m.ID] = mp
	}
	type group struct {
		from, to hubspot.ObjectType
		pairs    []hubspot.AssociationPair
		orders   map[hubspot.AssociationPair][]*orderState
		keep     map[*orderState][]models.SyncResult
	}
	groups := map[[2]hubspot.ObjectType]*group{}
	var order [][2]hubspot.ObjectType
	for _, o := range r.orders {
		if o.fail != nil {
			continue
		}
		prev := r.previous[o.job.OrderID]
		for _, c := range prev {
			mc := planOf[c.MappingID]
			if mc == nil {
				continue
			}
			for _, e := range mc.assocTo {
				for _, t := range prev {
					mt := planOf[t.MappingID]
					if mt == nil || mt.idx != e {
						continue
					}
					if c.PositionID != nil && t.PositionID != nil && *c.PositionID != *t.PositionID {
						continue
					}
					if (mc.ot != hubspot.Deals && mt.ot != hubspot.Deals) || mc.ot == hubspot.LineItems || mt.ot == hubspot.LineItems {
						continue
					}
					k := newPairKey(mc.ot, c.ExternalID, mt.ot, t.ExternalID)
					if r.linked[k] {
						continue
					}
					gk := [2]hubspot.ObjectType{k.a, k.b}
					g := groups[gk]
					if g == nil {
						g = &group{from: k.a, to: k.b, orders: map[hubspot.AssociationPair][]*orderState{}, keep: map[*orderState][]models.SyncResult{}}
						groups[gk] = g
						order = append(order, gk)
					}
					p := hubspot.AssociationPair{FromID: k.aID, ToID: k.bID}
					if _, seen := g.orders[p]; !seen {
						g.pairs = append(g.pairs, p)
					}
					g.orders[p] = append(g.orders[p], o)
					// The side that is not the deal is what changed.
					if mc.ot == hubspot.Deals {
						g.keep[o] = append(g.keep[o], t)
					} else {
						g.keep[o] = append(g.keep[o], c)
					}
				}
			}
		}
	}
	for _, gk := range order {
		g := groups[gk]
		if err := r.cl.BatchDissociate(r.ctx, g.from, g.to, g.pairs); err != nil {
			f := failureOf(err, "removing old associations of "+string(g.from)+" with "+string(g.to))
			for o, rows := range g.keep {
				o.failWith(f)
				// Kept, so the retry still knows what to remove.
				o.keep = append(o.keep, rows...)
			}
			continue
		}
		for o, rows := range g.keep {
			o.unlinked = append(o.unlinked, rows...)
		}
	}
}
