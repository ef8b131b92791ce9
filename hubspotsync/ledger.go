package hubspotsync

import (
	"context"
	"strconv"
	"sync"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// ledger orders the runs of this process that touch the same HubSpot
// record. Runs may sync side by side (several batches in flight per portal,
// the live lane beside a backfill); a record shared with an earlier run is
// read only once that run has written it, so the modes still apply as if
// the orders were processed one by one. The earlier run hands over what it
// wrote, which spares the later one a read.
type ledger struct {
	mu   sync.Mutex
	last map[string]*hold // the latest run's hold on each record, by portal and key
}

// hold is one run's claim on one record. done is closed once the run has
// written the record or given it up; state is set before, when the record
// is known to hold exactly what the run wrote.
type hold struct {
	done  chan struct{}
	state *handover
}

// handover is a record as a run left it.
type handover struct {
	id    string
	props map[string]string // every property the run read or wrote
}

func newLedger() *ledger { return &ledger{last: map[string]*hold{}} }

func (h *hold) isDone() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// phases splits the run's records in two when it may: those no earlier
// run still writes go at once, the others once the earlier runs have
// written them — so consecutive batches sharing a few contacts do not wait
// for each other's every write. An order can fail while its rows are
// applied only through Add to list; then an order's records must be
// applied together, and the run waits for every earlier record first.
// It also marks the records that can be upserted without a read.
func (r *run) phases() []func(*object) bool {
	appends := false
	for _, ob := range r.objects {
		ob.upsert = hubspot.IsUniqueKey(ob.ot, ob.idDef)
		for _, c := range ob.contribs {
			for _, w := range c.writes {
				if w.mode != models.ModeOverwrite {
					ob.upsert = false
				}
				appends = appends || w.mode == models.ModeAppend
			}
		}
	}
	all := func(*object) bool { return true }
	if appends {
		return []func(*object) bool{all}
	}
	later := map[*object]bool{}
	for _, ob := range r.objects {
		if ob.after != nil && !ob.after.isDone() {
			later[ob] = true
		}
	}
	if len(later) == 0 || len(later) == len(r.objects) {
		return []func(*object) bool{all}
	}
	return []func(*object) bool{
		func(ob *object) bool { return !later[ob] },
		func(ob *object) bool { return later[ob] },
	}
}

func (r *run) ledgerKey(ob *object) string {
	return strconv.FormatInt(r.conn.HubID, 10) + "\x00" + string(ob.ot) + "\x00" + ob.idProp + "\x00" + ob.idVal
}

// holdRecords queues the run behind earlier runs on every record it
// touches. It is called in the order runs start, so a later run always
// waits for an earlier one and never the other way round.
func (r *run) holdRecords() {
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ob := range r.objects {
		k := r.ledgerKey(ob)
		ob.after = l.last[k]
		ob.hold = &hold{done: make(chan struct{})}
		l.last[k] = ob.hold
	}
}

// releaseRecords lets later runs have the picked records (all without a
// pick): with what this run wrote, or with nothing when it failed or did
// not get to write (they read HubSpot then). Safe to call twice.
func (r *run) releaseRecords(pick ...func(*object) bool) {
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ob := range r.objects {
		h := ob.hold
		if h == nil || (len(pick) > 0 && !pick[0](ob)) {
			continue
		}
		ob.hold = nil
		if ob.written && ob.fail == nil && ob.recordID != "" {
			props := make(map[string]string, len(ob.final)+1)
			for k, v := range ob.final {
				props[k] = v
			}
			props[ob.idProp] = ob.idVal
			h.state = &handover{id: ob.recordID, props: props}
		}
		close(h.done)
		k := r.ledgerKey(ob)
		if l.last[k] == h {
			delete(l.last, k)
		}
	}
}

// awaitEarlier waits for the earlier run on ob, if any, and takes the
// record over from it. It reports whether ob still needs a read.
func (r *run) awaitEarlier(ctx context.Context, ob *object) (needsRead bool, err error) {
	if ob.after == nil {
		return true, nil
	}
	select {
	case <-ob.after.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	st := ob.after.state
	ob.after = nil
	if st == nil {
		return true, nil
	}
	for name := range ob.defs {
		if _, ok := st.props[name]; !ok {
			return true, nil // the earlier run did not know this property
		}
	}
	ob.exists, ob.recordID, ob.current = true, st.id, st.props
	return false, nil
}
