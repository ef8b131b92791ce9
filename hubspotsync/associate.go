package hubspotsync

import (
	"pretix-hubspot/hubspot"
)

// assocYield is how many later runs' reads and writes a run's associations
// let go first. Associations change no property and hold no record, so
// only the run's own results wait for them, while a later run's read or
// write has the rest of that run behind it: a backlog's last run then
// starts writing sooner, and its associations, not its writes, are the
// drain's tail. A bounded yield, so a long backlog's runs still finish;
// live runs, whose results someone waits for, never yield.
const assocYield = 2

// assocGroup collects the pairs of one pair of object types; the pair is
// stored in one direction only, since HubSpot links both ways at once.
type assocGroup struct {
	from, to hubspot.ObjectType
	pairs    []hubspot.AssociationPair
	orders   map[hubspot.AssociationPair][]*orderState
}

// associate links, after all writes, each object with the objects of the
// earlier mappings its mapping associates with (DESIGN §5 step 7): order
// objects with the same order's objects; position objects with the order's
// order objects and with objects of the same position. Orders that failed
// get no associations (their retry makes them).
func (r *run) associate() {
	r.linked = map[pairKey]bool{}
	var groups []*assocGroup
	byTypes := map[[2]hubspot.ObjectType]*assocGroup{}
	add := func(o *orderState, a, b *object) {
		if a == b || a.recordID == "" || b.recordID == "" {
			return
		}
		if b.ot < a.ot {
			a, b = b, a
		}
		k := [2]hubspot.ObjectType{a.ot, b.ot}
		g := byTypes[k]
		if g == nil {
			g = &assocGroup{from: a.ot, to: b.ot, orders: map[hubspot.AssociationPair][]*orderState{}}
			byTypes[k] = g
			groups = append(groups, g)
		}
		r.linked[newPairKey(a.ot, a.recordID, b.ot, b.recordID)] = true
		p := hubspot.AssociationPair{FromID: a.recordID, ToID: b.recordID}
		if _, seen := g.orders[p]; !seen {
			g.pairs = append(g.pairs, p)
		}
		g.orders[p] = append(g.orders[p], o)
	}
	for _, o := range r.orders {
		if o.fail != nil {
			continue
		}
		for _, c := range o.contribs {
			if c.obj == nil || c.archive || len(c.mp.assocTo) == 0 {
				continue
			}
			for _, e := range c.mp.assocTo {
				for _, t := range o.contribs {
					if t.mp.idx != e || t.obj == nil || t.archive {
						continue
					}
					if c.posID != nil && t.posID != nil && *c.posID != *t.posID {
						continue
					}
					if (c.canceled || t.canceled) && (c.obj.ot == hubspot.Deals || t.obj.ot == hubspot.Deals) {
						continue // a canceled ticket's attendee leaves the deal (dissociate)
					}
					add(o, c.obj, t.obj)
				}
			}
		}
	}
	type task struct {
		g     *assocGroup
		chunk []hubspot.AssociationPair
		res   *hubspot.AssociationResult
		err   error
	}
	var tasks []task
	per := hubspot.MaxAssociationInputs
	if r.p.perOrder {
		per = 1
	}
	for _, g := range groups {
		for start := 0; start < len(g.pairs); start += per {
			tasks = append(tasks, task{g: g, chunk: g.pairs[start:min(start+per, len(g.pairs))]})
		}
	}
	ctx := r.ctx
	if !r.live {
		ctx = hubspot.Ordered(ctx, r.seq+assocYield)
	}
	concurrently(len(tasks), func(i int) {
		t := &tasks[i]
		t.res, t.err = r.cl.BatchAssociateDefault(ctx, t.g.from, t.g.to, t.chunk)
	})
	for _, t := range tasks {
		g := t.g
		if t.err != nil {
			f := failureOf(t.err, "associations of "+string(g.from)+" with "+string(g.to))
			for _, p := range t.chunk {
				for _, o := range g.orders[p] {
					o.failWith(f)
				}
			}
			continue
		}
		for p, e := range t.res.Errors {
			f := failureOf(e, "association of "+string(g.from)+" "+p.FromID+" with "+string(g.to)+" "+p.ToID)
			for _, o := range g.orders[p] {
				o.failWith(f)
			}
		}
	}
}
