package hubspotsync

import (
	"context"
	"sort"
	"strconv"

	"pretix-hubspot/hubspot"
)

// bisectBudget bounds the extra calls spent to find the bad records of
// whole-batch rejections in one run: enough to isolate a few bad records
// among thousands (about 2·log2(100) each), never hundreds of calls when
// HubSpot rejects everything.
const bisectBudget = 40

// groupKey is the read and write unit: one object type and identifier.
type groupKey struct {
	ot     hubspot.ObjectType
	idProp string
}

// groups returns the objects that still matter, by type and identifier
// property, in order of first appearance.
func (r *run) groups(pick func(*object) bool) ([]groupKey, map[groupKey][]*object) {
	var keys []groupKey
	out := map[groupKey][]*object{}
	for _, ob := range r.objects {
		if ob.fail != nil || !pick(ob) {
			continue
		}
		k := groupKey{ob.ot, ob.idProp}
		if _, ok := out[k]; !ok {
			keys = append(keys, k)
		}
		out[k] = append(out[k], ob)
	}
	return keys, out
}

// chunk is how many records go in one call: one in per-order mode.
func (r *run) chunk() int {
	if r.p.perOrder {
		return 1
	}
	return hubspot.MaxBatchInputs
}

func chunks(obs []*object, n int) [][]*object {
	var out [][]*object
	for len(obs) > n {
		out = append(out, obs[:n])
		obs = obs[n:]
	}
	if len(obs) > 0 {
		out = append(out, obs)
	}
	return out
}

// read fetches the current state of the picked objects in batches of 100
// by identifier, with only the properties the mappings write (DESIGN §5
// step 3). Search is never used: it lags behind writes. The calls go out
// together; their answers are applied in order. Records an earlier run of
// this process is writing are read after it (or taken over from it);
// upserted records are not read at all.
func (r *run) read(pick func(*object) bool) {
	pick = both(pick, func(ob *object) bool { return !ob.upsert && ob.live() })
	var first, later []*object
	for _, ob := range r.objects {
		if ob.fail != nil || !pick(ob) {
			continue
		}
		if r.predecessor(ob) == nil {
			r.reach(ob)
			first = append(first, ob)
		} else {
			later = append(later, ob)
		}
	}
	r.readAll(in(first))
	var again []*object
	for _, ob := range later {
		if !ob.live() {
			continue
		}
		needs, err := r.awaitEarlier(r.ctx, ob)
		if err != nil {
			r.failObject(ob, failureOf(err, ob.subject()))
		} else if needs {
			again = append(again, ob)
		}
	}
	r.readAll(both(in(again), (*object).live))
}

// in picks the objects of a list.
func in(obs []*object) func(*object) bool {
	set := make(map[*object]bool, len(obs))
	for _, ob := range obs {
		set[ob] = true
	}
	return func(ob *object) bool { return set[ob] }
}

func both(a, b func(*object) bool) func(*object) bool {
	return func(ob *object) bool { return a(ob) && b(ob) }
}

func (r *run) readAll(pick func(*object) bool) {
	keys, byGroup := r.groups(pick)
	type task struct {
		k   groupKey
		obs []*object
		res *hubspot.ReadResult
		err error
	}
	var tasks []task
	for _, k := range keys {
		for _, chunk := range chunks(byGroup[k], r.chunk()) {
			tasks = append(tasks, task{k: k, obs: chunk})
		}
	}
	concurrently(len(tasks), func(i int) { tasks[i].res, tasks[i].err = r.readCall(tasks[i].k, tasks[i].obs) })
	for _, t := range tasks {
		r.applyRead(t.obs, t.res, t.err)
	}
}

func (r *run) readChunk(k groupKey, obs []*object) {
	res, err := r.readCall(k, obs)
	r.applyRead(obs, res, err)
}

// readCall reads the records of obs; it touches nothing shared, so reads
// may run side by side.
func (r *run) readCall(k groupKey, obs []*object) (*hubspot.ReadResult, error) {
	return r.readCallIn(r.ctx, k, obs)
}

// readCallIn reads the records of obs by key, with the properties their
// mappings write, in ctx.
func (r *run) readCallIn(ctx context.Context, k groupKey, obs []*object) (*hubspot.ReadResult, error) {
	values := make([]string, len(obs))
	for i, ob := range obs {
		values[i] = ob.idVal
	}
	return r.cl.BatchRead(ctx, k.ot, k.idProp, values, writtenProps(obs))
}

// writtenProps names, sorted, the properties the objects' mappings write,
// plus extra: what a read of them asks for.
func writtenProps(obs []*object, extra ...string) []string {
	props := map[string]bool{}
	for _, n := range extra {
		props[n] = true
	}
	for _, ob := range obs {
		for name := range ob.defs {
			props[name] = true
		}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// found takes the record a read returned as what HubSpot holds. HubSpot
// leaves empty properties out: every property asked for is known now, so
// a later run may take the record over.
func (ob *object) found(rec hubspot.Record, asked []string) {
	ob.exists, ob.recordID, ob.current = true, rec.ID, rec.Properties
	if ob.current == nil {
		ob.current = map[string]string{}
	}
	for _, name := range asked {
		if _, ok := ob.current[name]; !ok {
			ob.current[name] = ""
		}
	}
}

func (r *run) applyRead(obs []*object, res *hubspot.ReadResult, err error) {
	if err != nil {
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return
	}
	for _, ob := range obs {
		if rec, ok := res.Found[ob.idVal]; ok {
			ob.found(rec, res.Asked)
			continue
		}
		if e, ok := res.Errors[ob.idVal]; ok {
			r.failObject(ob, failureOf(e, ob.subject()))
			continue
		}
		ob.exists, ob.recordID, ob.current = false, "", nil
	}
}

// write sends creates, updates and upserts per object type (DESIGN §5
// step 6): the first calls of every group go out together and are applied
// in order; creates whose outcome is unknown are then settled group by
// group. An upserted record waits for an earlier run writing it, so the
// last write is the latest order's.
func (r *run) write(pick func(*object) bool) {
	r.beginWrites(pick)
	keys, byGroup := r.groups(both(pick, (*object).live))
	type task struct {
		k    groupKey
		kind writeKind
		obs  []*object
		res  *hubspot.WriteResult
		err  error
	}
	var tasks []task
	archives := map[groupKey][]*object{}
	for _, k := range keys {
		var creates, updates, upserts []*object
		for _, ob := range byGroup[k] {
			switch {
			case ob.archive:
				if ob.exists {
					archives[k] = append(archives[k], ob)
				} else {
					ob.unchanged()
				}
			case ob.upsert:
				upserts = append(upserts, ob)
			case !ob.exists:
				creates = append(creates, ob)
			case len(ob.changes()) > 0:
				updates = append(updates, ob)
			default:
				ob.unchanged()
			}
		}
		for kind, obs := range [...][]*object{writeCreate: creates, writeUpdate: updates, writeUpsert: upserts} {
			for _, chunk := range chunks(obs, r.chunk()) {
				tasks = append(tasks, task{k: k, kind: writeKind(kind), obs: chunk})
			}
		}
	}
	concurrently(len(tasks), func(i int) {
		t := &tasks[i]
		switch t.kind {
		case writeCreate:
			t.res, t.err = r.createCall(t.k, t.obs)
		case writeUpdate:
			t.res, t.err = r.updateCall(t.k, t.obs)
		default:
			t.res, t.err = r.upsertCall(t.k, t.obs)
		}
		r.releaseAnswered(t.kind, t.obs, t.res, t.err)
	})
	unsure := map[groupKey][]*object{}
	for _, t := range tasks {
		switch t.kind {
		case writeCreate:
			unsure[t.k] = append(unsure[t.k], r.applyCreate(t.k, t.obs, t.res, t.err)...)
		case writeUpdate:
			unsure[t.k] = append(unsure[t.k], r.applyUpdate(t.k, t.obs, t.res, t.err)...)
		default:
			r.applyUpsert(t.k, t.obs, t.res, t.err)
		}
	}
	for _, k := range keys {
		if len(unsure[k]) > 0 {
			r.settle(k, unsure[k])
		}
		for _, chunk := range chunks(archives[k], r.chunk()) {
			r.archiveChunk(k, chunk)
		}
	}
}

// archiveChunk archives the records of canceled positions; the order's
// result then says "archived" for them.
func (r *run) archiveChunk(k groupKey, obs []*object) {
	ids := make([]string, len(obs))
	for i, ob := range obs {
		ids[i] = ob.recordID
	}
	if err := r.cl.BatchArchive(r.ctx, k.ot, ids); err != nil {
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return
	}
	for _, ob := range obs {
		ob.written = true
		for _, c := range ob.contribs {
			if c.applied {
				c.action = actionArchived
			}
		}
	}
}

type writeKind int

const (
	writeCreate writeKind = iota
	writeUpdate
	writeUpsert
)

// settle resolves creates whose outcome is unknown (the answer was lost, a
// 409 because someone else created the record meanwhile) and updates whose
// record HubSpot no longer has under its id (merged or deleted since the
// read) by reading the key again and updating what is there — never by
// creating blindly; a record still missing is created once more.
func (r *run) settle(k groupKey, unsure []*object) {
	var creates, updates []*object
	for attempt := 1; ; attempt++ {
		for _, chunk := range chunks(unsure, r.chunk()) {
			r.readChunk(k, chunk)
		}
		for _, ob := range unsure {
			if ob.fail != nil {
				continue
			}
			r.resimulate(ob)
			if !ob.live() {
				continue
			}
			if !ob.exists {
				creates = append(creates, ob)
				continue
			}
			if len(ob.changes()) > 0 {
				updates = append(updates, ob)
			} else {
				ob.unchanged()
			}
		}
		if attempt >= 2 || len(creates) == 0 {
			break
		}
		unsure = nil
		for _, chunk := range chunks(creates, r.chunk()) {
			unsure = append(unsure, r.createChunk(k, chunk)...)
		}
		creates = nil
		if len(unsure) == 0 {
			break
		}
	}
	for _, ob := range creates {
		r.failObject(ob, &failure{mode: modeTemporary, msg: "HubSpot did not confirm creating the record twice; the sync is retried automatically (" + ob.subject() + ").",
			detail: map[string]any{"object": ob.subject()}})
	}
	for _, chunk := range chunks(updates, r.chunk()) {
		for _, ob := range r.updateChunk(k, chunk) {
			r.failObject(ob, &failure{mode: modeTemporary, msg: "The record disappeared from HubSpot twice while it was being updated (deleted or merged meanwhile); the sync is retried automatically (" + ob.subject() + ").",
				detail: map[string]any{"object": ob.subject()}})
		}
	}
}

func (r *run) traceID(ob *object) string { return r.trace + strconv.Itoa(ob.seq) }

// createChunk creates up to 100 records and returns those whose outcome is
// unknown or that raced with another writer (to be re-read).
func (r *run) createChunk(k groupKey, obs []*object) (unsure []*object) {
	res, err := r.createCall(k, obs)
	return r.applyCreate(k, obs, res, err)
}

func (r *run) createCall(k groupKey, obs []*object) (*hubspot.WriteResult, error) {
	inputs := make([]hubspot.CreateInput, len(obs))
	for i, ob := range obs {
		inputs[i] = hubspot.CreateInput{TraceID: r.traceID(ob), Properties: ob.changes()}
	}
	if r.live && !r.p.perOrder {
		return r.createLive(k, obs, inputs)
	}
	return r.cl.BatchCreate(r.ctx, k.ot, inputs)
}

func (r *run) applyCreate(k groupKey, obs []*object, res *hubspot.WriteResult, err error) (unsure []*object) {
	if err != nil {
		switch {
		case hubspot.IsWholeBatch(err):
			return r.bisect(obs, err, func(half []*object) []*object { return r.createChunk(k, half) })
		case hubspot.ClassOf(err) == hubspot.ClassTemporary && r.ctx.Err() == nil:
			// The request may have been applied before the failure.
			return obs
		}
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return nil
	}
	for _, ob := range obs {
		t := r.traceID(ob)
		if rec, ok := res.Results[t]; ok {
			ob.recordID, ob.written = rec.ID, true
			continue
		}
		e := res.Errors[t]
		if e == nil || e.Status == 409 || e.Class == hubspot.ClassTemporary {
			unsure = append(unsure, ob)
			continue
		}
		r.failObject(ob, failureOf(e, ob.subject()))
	}
	return unsure
}

// updateChunk updates up to 100 records by record id with only the
// changed properties.
func (r *run) updateChunk(k groupKey, obs []*object) (gone []*object) {
	res, err := r.updateCall(k, obs)
	return r.applyUpdate(k, obs, res, err)
}

func (r *run) updateCall(k groupKey, obs []*object) (*hubspot.WriteResult, error) {
	inputs := make([]hubspot.UpdateInput, len(obs))
	for i, ob := range obs {
		inputs[i] = hubspot.UpdateInput{ID: ob.recordID, TraceID: r.traceID(ob), Properties: ob.changes()}
	}
	return r.cl.BatchUpdate(r.ctx, k.ot, inputs)
}

// applyUpdate returns the records HubSpot no longer has under their id
// (deleted or merged since the read), to be looked up again by key.
func (r *run) applyUpdate(k groupKey, obs []*object, res *hubspot.WriteResult, err error) (gone []*object) {
	if err != nil {
		if hubspot.IsWholeBatch(err) {
			return r.bisect(obs, err, func(half []*object) []*object { return r.updateChunk(k, half) })
		}
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return nil
	}
	for _, ob := range obs {
		if _, ok := res.Results[ob.recordID]; ok {
			ob.written = true
			continue
		}
		e := res.Errors[ob.recordID]
		if e == nil {
			e = &hubspot.Error{Class: hubspot.ClassTemporary, Message: "HubSpot did not confirm the update"}
		}
		if e.Status == 404 {
			gone = append(gone, ob)
			continue
		}
		r.failObject(ob, failureOf(e, ob.subject()))
	}
	return gone
}

// upsertChunk writes up to 100 records by their unique identifier.
func (r *run) upsertChunk(k groupKey, obs []*object) {
	res, err := r.upsertCall(k, obs)
	r.applyUpsert(k, obs, res, err)
}

func (r *run) upsertCall(k groupKey, obs []*object) (*hubspot.WriteResult, error) {
	inputs := make([]hubspot.UpsertInput, len(obs))
	for i, ob := range obs {
		inputs[i] = hubspot.UpsertInput{ID: ob.idVal, TraceID: r.traceID(ob), Properties: ob.upsertProps()}
	}
	return r.cl.BatchUpsert(r.ctx, k.ot, k.idProp, inputs)
}

func (r *run) applyUpsert(k groupKey, obs []*object, res *hubspot.WriteResult, err error) {
	if err != nil {
		if hubspot.IsWholeBatch(err) {
			r.bisect(obs, err, func(half []*object) []*object { r.upsertChunk(k, half); return nil })
			return
		}
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return
	}
	for _, ob := range obs {
		t := r.traceID(ob)
		if rec, ok := res.Results[t]; ok {
			ob.recordID, ob.written, ob.exists = rec.ID, true, !rec.New
			if !rec.New {
				for _, c := range ob.contribs {
					if c.applied && c.action == actionCreated {
						c.action = actionUpdated
					}
				}
			}
			continue
		}
		e := res.Errors[t]
		if e == nil {
			e = &hubspot.Error{Class: hubspot.ClassTemporary, Message: "HubSpot did not confirm the upsert"}
		}
		r.failObject(ob, failureOf(e, ob.subject()))
	}
}

// bisect retries a batch HubSpot rejected as a whole in halves until the
// bad records are isolated (DESIGN §5 step 6): the others are written, the
// bad ones fail with HubSpot's message. It returns what the halves left
// unsure.
func (r *run) bisect(obs []*object, err error, send func([]*object) []*object) []*object {
	if len(obs) == 1 || r.budget < 2 {
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return nil
	}
	r.budget -= 2
	mid := len(obs) / 2
	unsure := send(obs[:mid])
	return append(unsure, send(obs[mid:])...)
}

// resimulate applies an object's contributions again after its state
// changed (a record found after all), taking out orders that now fail.
func (r *run) resimulate(ob *object) {
	for {
		f := r.simulate(ob)
		if f == nil {
			return
		}
		f.order.failWith(f.fail)
	}
}

// unchanged marks an object whose record already holds every value: no
// write is sent, so no order changed it (even if, one by one, an order
// would have set a value that a later one set back).
func (ob *object) unchanged() {
	ob.written = true
	for _, c := range ob.contribs {
		if c.applied {
			c.action = actionNothing
		}
	}
}
