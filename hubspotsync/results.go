package hubspotsync

import (
	"encoding/json"
	"time"

	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// Order history texts (pretix's wording for HubSpot).
const (
	msgTransferred = "Data transferred to HubSpot"
	msgErrorPrefix = "Error while transferring data to HubSpot: "
)

// logObject is one synced object in a "Data transferred" log entry.
type logObject struct {
	MappingID  int64  `json:"mapping_id"`
	PositionID *int64 `json:"position_id,omitempty"`
	ObjectType string `json:"object_type"`
	IDProperty string `json:"id_property"`
	IDValue    string `json:"id_value"`
	RecordID   string `json:"record_id,omitempty"`
	Link       string `json:"link,omitempty"`
	Action     string `json:"action"`
}

// results turns the run into one JobResult per job (DESIGN §5 step 8).
func (r *run) results() []datasync.JobResult {
	now := r.p.clock.Now().UTC()
	out := make([]datasync.JobResult, 0, len(r.orders))
	for _, o := range r.orders {
		jr := datasync.JobResult{JobID: o.job.ID}
		var objs []logObject
		changed := false
		for _, c := range o.contribs {
			sr, ok := r.result(c, o.fail == nil, now)
			if !ok {
				continue
			}
			jr.Results = append(jr.Results, sr)
			if sr.Action == actionSkipped {
				continue
			}
			changed = changed || sr.Action == actionCreated || sr.Action == actionUpdated || sr.Action == actionArchived
			objs = append(objs, logObject{MappingID: sr.MappingID, PositionID: sr.PositionID, ObjectType: sr.ObjectType,
				IDProperty: sr.IDProperty, IDValue: sr.IDValue, RecordID: sr.ExternalID, Link: sr.ExternalLink, Action: sr.Action})
		}
		for _, sr := range o.mres {
			jr.Results = append(jr.Results, sr)
			if sr.Action != actionNothing {
				changed = true
				objs = append(objs, logObject{PositionID: sr.PositionID, ObjectType: sr.ObjectType, IDProperty: sr.IDProperty,
					IDValue: sr.IDValue, RecordID: sr.ExternalID, Link: sr.ExternalLink, Action: sr.Action})
			}
		}
		var unlinked []logObject
		for _, sr := range o.unlinked {
			unlinked = append(unlinked, logObject{MappingID: sr.MappingID, PositionID: sr.PositionID, ObjectType: sr.ObjectType,
				IDProperty: sr.IDProperty, IDValue: sr.IDValue, RecordID: sr.ExternalID, Link: sr.ExternalLink, Action: actionDissociated})
		}
		if o.fail == nil {
			jr.Outcome = datasync.Outcome{Kind: datasync.OutcomeDone}
			// Like pretix, a run that changed nothing leaves no history entry.
			if changed || len(unlinked) > 0 {
				entry := map[string]any{"provider": ProviderName, "objects": objs}
				if len(unlinked) > 0 {
					entry["dissociated"] = unlinked
				}
				data, _ := json.Marshal(entry)
				jr.Log = append(jr.Log, models.OrderLog{Kind: datasync.LogTransferred, Message: msgTransferred, Time: now, DataJSON: string(data)})
			}
			out = append(out, jr)
			continue
		}
		f := o.fail
		jr.Results = append(jr.Results, o.keep...)
		ej := f.errorJSON()
		switch f.mode {
		case modeWait:
			at := f.retryAt
			if !at.After(now) {
				at = now.Add(time.Minute)
			}
			// UTC: SQLite compares the stored times as text.
			jr.Outcome = datasync.Outcome{Kind: datasync.OutcomeWait, RetryAfter: at.UTC(), WaitReason: f.msg}
		case modeSetup:
			jr.Outcome = datasync.Outcome{Kind: datasync.OutcomeWait, RetryAfter: now.Add(SetupRetry), WaitReason: f.msg, WaitCode: models.WaitSetup}
		case modeTemporary:
			jr.Outcome = datasync.Outcome{Kind: datasync.OutcomeTemporary, Error: f.msg, ErrorJSON: ej, Cause: f.cause()}
			// Earlier attempts heal themselves; only the one that gives up
			// belongs in the order's history.
			if o.job.Attempts+1 >= r.p.maxAttempts {
				jr.Log = append(jr.Log, models.OrderLog{Kind: datasync.LogError, Message: msgErrorPrefix + f.msg, Time: now, DataJSON: ej})
			}
		default:
			jr.Outcome = datasync.Outcome{Kind: datasync.OutcomeFailed, Mode: f.mode, Error: f.msg, ErrorJSON: ej, Cause: f.cause()}
			jr.Log = append(jr.Log, models.OrderLog{Kind: datasync.LogError, Message: msgErrorPrefix + f.msg, Time: now, DataJSON: ej})
		}
		out = append(out, jr)
	}
	return out
}

// result is the sync result of one contribution; for a failed order only
// the objects that were written are reported (partial progress is kept).
func (r *run) result(c *contrib, done bool, now time.Time) (models.SyncResult, bool) {
	sr := models.SyncResult{MappingID: c.mp.m.ID, Provider: ProviderName, ObjectType: string(c.mp.ot),
		IDProperty: c.mp.m.IDProperty, IDValue: c.idVal, Action: c.action, TransmittedAt: now}
	sr.PositionID = c.posID
	if c.obj == nil {
		return sr, true // skipped: empty identifier
	}
	ob := c.obj
	if !ob.written || ob.recordID == "" || (!done && !c.applied) {
		return sr, false
	}
	if c.action == "" {
		sr.Action = actionNothing
	}
	sr.ExternalID = ob.recordID
	if !c.archive {
		sr.ExternalLink = r.conn.RecordURL(ob.ot, ob.recordID)
	}
	if c.canceled && !c.archive && r.withDeal(c.mp) {
		// Not associated with the deal any more: the next sync has nothing
		// to remove (loadPrevious skips it).
		sr.Action = actionLeftDeal
	}
	return sr, true
}

// withDeal reports whether a mapping's records are associated with a deal
// mapping's, in either direction.
func (r *run) withDeal(mp *mapPlan) bool {
	for _, other := range r.plans {
		for _, e := range other.assocTo {
			if (other == mp && r.plans[e].ot == hubspot.Deals) || (e == mp.idx && other.ot == hubspot.Deals) {
				return true
			}
		}
	}
	return false
}
