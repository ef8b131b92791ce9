package hubspotsync

import (
	"context"

	"pretix-hubspot/hubspot"
)

// A live run's create that HubSpot is slow to answer cannot be sent again:
// a second create would make a second record. Its records can be looked
// for, though: once the create has taken longer than live writes usually
// do, the run reads the records' keys beside it, and when every record is
// there holding exactly the values the create sends, the create is taken
// as done with those records and its answer no longer waited for. In every
// other case — a record missing, a value different (another writer's
// record), the look failing — the run waits for the create's answer as it
// would have, so nothing is created twice and nobody's record is taken
// for one's own.
func (r *run) createLive(k groupKey, obs []*object, inputs []hubspot.CreateInput) (*hubspot.WriteResult, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	type answer struct {
		res *hubspot.WriteResult
		err error
	}
	created := make(chan answer, 1)
	go func() {
		res, err := r.cl.BatchCreate(ctx, k.ot, inputs)
		created <- answer{res, err}
	}()
	t := r.p.clock.NewTimer(r.cl.SlowWriteAfter())
	defer t.Stop()
	select {
	case a := <-created:
		return a.res, a.err
	case <-t.Chan():
	}
	if !r.cl.LookForSlowCreate() {
		a := <-created
		return a.res, a.err
	}
	type look struct {
		res *hubspot.ReadResult
		err error
	}
	looked := make(chan look, 1)
	go func() {
		res, err := r.readCallIn(ctx, k, obs)
		looked <- look{res, err}
	}()
	select {
	case a := <-created:
		return a.res, a.err
	case l := <-looked:
		if l.err == nil {
			if res := ownRecords(obs, inputs, l.res); res != nil {
				return res, nil
			}
		}
	}
	a := <-created
	return a.res, a.err
}

// ownRecords returns the create's result made of the records found, when
// every record is there with every value the create sends; nil otherwise.
func ownRecords(obs []*object, inputs []hubspot.CreateInput, found *hubspot.ReadResult) *hubspot.WriteResult {
	res := &hubspot.WriteResult{Results: map[string]hubspot.Record{}}
	for i, ob := range obs {
		rec, ok := found.Found[ob.idVal]
		if !ok {
			return nil
		}
		for name, v := range inputs[i].Properties {
			if rec.Properties[name] != v {
				return nil
			}
		}
		res.Results[inputs[i].TraceID] = rec
	}
	return res
}
