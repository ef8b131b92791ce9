package hubspotsync

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// ledger orders the runs of this process that touch the same HubSpot
// record. Runs may sync side by side (several batches in flight per portal,
// the live lane beside a backfill); a record shared with an earlier run is
// read only once that run has written it, so the modes still apply as if
// the orders were processed one by one, in the order the runs reached the
// record. The earlier run hands over what it wrote, which spares the later
// one a read.
//
// A live run (a webhook's order, Sync now) does not queue behind bulk runs
// that have not started writing the record yet: it goes before them, as if
// its job had run first, and a bulk run that had read the record applies
// its orders again on what the live run left before it writes. The runs a
// live run does wait for are hurried: their calls become urgent too.
type ledger struct {
	mu   sync.Mutex
	last map[string]*hold // the latest hold on each record, by portal and key
}

// hold is one run's claim on one record. done is closed once the run has
// written the record or given it up; state is set before, when the record
// is known to hold exactly what the run wrote.
type hold struct {
	done    chan struct{}
	state   *handover
	after   *hold        // the hold to wait for; guarded by the ledger's lock
	base    *hold        // the hold whose result the run built on (nil: HubSpot's)
	writing bool         // the run's write of the record may be on its way
	live    bool         // the run is a live one
	hurry   *atomic.Bool // the run's: set when a live run waits for it
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

// predecessor is the hold ob waits for, nil when none.
func (r *run) predecessor(ob *object) *hold {
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	if ob.hold == nil {
		return nil
	}
	return ob.hold.after
}

// phases splits the run's records in two when it may: those no earlier
// run still writes go at once, the others once the earlier runs have
// written them — so consecutive batches sharing a few contacts do not wait
// for each other's every write. An order can fail while its rows are
// applied only through Add to list; then an order's records must be
// applied together, and the run waits for every earlier record first.
// It also marks the records that can be upserted without a read.
// upsertable reports whether an object is written by its unique key
// without a read: every row Overwrite, a unique identifier, and not the
// per-order baseline nor an archive.
func (r *run) upsertable(ob *object) bool {
	if !hubspot.IsUniqueKey(ob.ot, ob.idDef) || r.p.perOrder || ob.archive {
		return false
	}
	for _, c := range ob.contribs {
		for _, w := range c.writes {
			if w.mode != models.ModeOverwrite {
				return false
			}
		}
	}
	return true
}

func (r *run) phases() []func(*object) bool {
	appends := false
	for _, ob := range r.objects {
		ob.upsert = r.upsertable(ob)
		for _, c := range ob.contribs {
			for _, w := range c.writes {
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
		if pred := r.predecessor(ob); pred != nil && !pred.isDone() {
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
// touches. It is called in the order runs start; a live run goes before
// the bulk runs that have not started writing the record.
func (r *run) holdRecords() {
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ob := range r.objects {
		k := r.ledgerKey(ob)
		h := &hold{done: make(chan struct{}), live: r.live, hurry: &r.hurry}
		ob.hold = h
		pred, succ := l.last[k], (*hold)(nil)
		for r.live && pred != nil && !pred.writing && !pred.live && !pred.isDone() {
			succ, pred = pred, pred.after
		}
		h.after = pred
		if succ != nil {
			succ.after = h
		} else {
			l.last[k] = h
		}
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
		if ob.hold == nil || (len(pick) > 0 && !pick[0](ob)) {
			continue
		}
		id := ""
		if ob.written && ob.fail == nil {
			id = ob.recordID
		}
		r.letGo(ob, id)
	}
}

// releaseAnswered lets later runs have the records a write call confirmed
// as soon as its answer is in, before the run's other calls answer: a live
// order sharing a record with a bulk round then waits for the call that
// carries the record, not for the round's slowest. It runs beside the
// run's other calls and touches only the ledger and the holds of obs.
func (r *run) releaseAnswered(kind writeKind, obs []*object, res *hubspot.WriteResult, err error) {
	if err != nil || res == nil {
		return
	}
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ob := range obs {
		if ob.hold == nil {
			continue
		}
		if kind == writeUpdate {
			if _, ok := res.Results[ob.recordID]; ok {
				r.letGo(ob, ob.recordID)
			}
		} else if rec, ok := res.Results[r.traceID(ob)]; ok && rec.ID != "" {
			r.letGo(ob, rec.ID)
		}
	}
}

// letGo ends ob's hold, handing over the record as the run wrote it when
// id is set (with nothing otherwise: the next run reads HubSpot). The
// ledger's lock is held.
func (r *run) letGo(ob *object, id string) {
	l := r.p.ledger
	h := ob.hold
	ob.hold = nil
	if id != "" {
		props := make(map[string]string, len(ob.final)+1)
		for k, v := range ob.final {
			props[k] = v
		}
		props[ob.idProp] = ob.idVal
		h.state = &handover{id: id, props: props}
	}
	close(h.done)
	// Nobody looks behind a finished hold: letting go of the one before
	// it (and of this run, through its hurry flag) keeps a record shared
	// by every round of a long backfill from holding all of them.
	h.after, h.hurry = nil, nil
	k := r.ledgerKey(ob)
	if l.last[k] == h {
		delete(l.last, k)
	}
}

// reach returns the hold ob waits for now and notes it as the one the
// run builds on. A live run hurries every run it waits for.
func (r *run) reach(ob *object) *hold {
	l := r.p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	if ob.hold == nil {
		return nil
	}
	pred := ob.hold.after
	ob.hold.base = pred
	if r.live || r.hurry.Load() {
		for p := pred; p != nil && !p.isDone(); p = p.after {
			if !p.live {
				p.hurry.Store(true)
			}
		}
	}
	return pred
}

// beginWrites marks the picked records as being written, so no live run
// goes before them any more. A live run that went before since a record
// was read has written it meanwhile: the record is taken over from it (or
// read again) and the run's orders applied again on it; upserts wait for
// whoever is before them. All waiting happens before any record is marked:
// a live run may wait for a marked record, so a run must never wait while
// it holds one that is not written yet.
func (r *run) beginWrites(pick func(*object) bool) {
	l := r.p.ledger
	overtaken := false
	for {
		var waitFor []*object
		l.mu.Lock()
		for _, ob := range r.objects {
			if ob.fail != nil || ob.hold == nil || !pick(ob) || !ob.live() {
				continue
			}
			after := ob.hold.after
			if (ob.upsert && after != nil && !after.isDone()) || (!ob.upsert && after != ob.hold.base) {
				waitFor = append(waitFor, ob)
			}
		}
		if len(waitFor) == 0 {
			for _, ob := range r.objects {
				if ob.hold != nil && pick(ob) {
					ob.hold.writing = true
				}
			}
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		for _, ob := range waitFor {
			needs, err := r.awaitEarlier(r.ctx, ob)
			switch {
			case err != nil:
				r.failObject(ob, failureOf(err, ob.subject()))
			case ob.upsert:
			default:
				overtaken = true
				if needs {
					r.readChunk(groupKey{ob.ot, ob.idProp}, []*object{ob})
				}
				if ob.fail == nil {
					r.resimulate(ob)
				}
			}
		}
	}
	if overtaken {
		// An order that failed on a record taken over must not write to
		// the others either.
		r.simulateAll(pick)
	}
}

// awaitEarlier waits for the earlier run on ob, if any, and takes the
// record over from it. It reports whether ob still needs a read.
func (r *run) awaitEarlier(ctx context.Context, ob *object) (needsRead bool, err error) {
	pred := r.reach(ob)
	if pred == nil {
		return true, nil
	}
	select {
	case <-pred.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	st := pred.state
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
