package hubspotsync

import (
	"fmt"
	"strings"

	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// lostKey names what an order's last sync stored for one record.
type lostKey struct {
	ot            hubspot.ObjectType
	idProp, idVal string
}

// healLost handles records an order's last sync wrote to this portal that the read by
// identifier no longer finds: merged away in HubSpot (whose merge keeps
// only the survivor's unique values) or deleted. The stored record id is
// read again, which HubSpot answers with the survivor of a merge. A
// survivor without an identifier of its own is this order's record: it is
// updated and its identifier written back. A survivor identified as
// another record is ambiguous — two orders now share one HubSpot record —
// and becomes a problem naming both, until someone retries the order, which
// gives it a record of its own again. A record that is gone is created
// again, as pretix does.
func (r *run) healLost(pick func(*object) bool) {
	var lost []*object
	for _, ob := range r.objects {
		if ob.fail == nil && pick(ob) && !ob.upsert && !ob.archive && !ob.exists && ob.live() {
			lost = append(lost, ob)
		}
	}
	if len(lost) == 0 {
		return
	}
	byOrder, ok := r.storedResults()
	if !ok {
		return // without them the records are created again, as pretix would
	}
	stored := map[lostKey]string{}
	for _, rows := range byOrder {
		for _, sr := range rows {
			// Only records of this portal: after a switch to another HubSpot
			// account the old ids mean nothing here (or another record).
			ot := hubspot.ObjectType(sr.ObjectType)
			if sr.ExternalLink == r.conn.RecordURL(ot, sr.ExternalID) {
				stored[lostKey{ot, sr.IDProperty, sr.IDValue}] = sr.ExternalID
			}
		}
	}
	oldID := map[*object]string{}
	byType := map[hubspot.ObjectType][]*object{}
	var types []hubspot.ObjectType // in the order the objects come
	for _, ob := range lost {
		if id := stored[lostKey{ob.ot, ob.idProp, ob.idVal}]; id != "" {
			oldID[ob] = id
			if byType[ob.ot] == nil {
				types = append(types, ob.ot)
			}
			byType[ob.ot] = append(byType[ob.ot], ob)
		}
	}
	for _, ot := range types {
		for _, chunk := range chunks(byType[ot], r.chunk()) {
			r.healChunk(chunk, oldID)
		}
	}
}

func (r *run) healChunk(obs []*object, oldID map[*object]string) {
	ids := make([]string, len(obs))
	idProps := make([]string, len(obs))
	for i, ob := range obs {
		ids[i], idProps[i] = oldID[ob], ob.idProp
	}
	res, err := r.cl.BatchRead(r.ctx, obs[0].ot, "hs_object_id", ids, writtenProps(obs, idProps...))
	if err != nil {
		// Not knowing, creating could duplicate what a merge joined.
		for _, ob := range obs {
			r.failObject(ob, failureOf(err, ob.subject()))
		}
		return
	}
	// Records of several orders merged into one keyless survivor: which
	// order it belongs to is as open as a survivor with another key.
	claims := map[string]int{}
	for _, ob := range obs {
		if rec, ok := res.Found[oldID[ob]]; ok && rec.Properties[ob.idProp] == "" {
			claims[rec.ID]++
		}
	}
	for _, ob := range obs {
		rec, ok := res.Found[oldID[ob]]
		if !ok {
			continue // deleted in HubSpot: created again
		}
		other := rec.Properties[ob.idProp]
		shared := other == "" && claims[rec.ID] > 1
		if !shared && (other == "" || sameKey(ob.idProp, other, ob.idVal)) {
			ob.found(rec, res.Asked)
			ob.healKey = other == ""
			r.p.log.Info("hubspot: record link healed", "object", ob.subject(), "old_id", oldID[ob], "id", rec.ID)
			continue
		}
		if r.retried(ob) {
			continue // someone chose a record of its own for the order
		}
		whose := fmt.Sprintf("which is identified by %s “%s” of another record", ob.idProp, other)
		if shared {
			whose = "together with the records of other orders of this sync"
		}
		r.failObject(ob, &failure{mode: models.FailurePermanent,
			msg: fmt.Sprintf("HubSpot merged the %s record this order was synced to (%s) into record %s, %s. "+
				"Two orders now share one HubSpot record, so nothing was sent for this one. If this order should have a record of its own again, choose Retry: it creates one. "+
				"If the merge was right, leave this problem: nothing is written for this order until it is retried.",
				ob.ot, oldID[ob], rec.ID, whose),
			detail: map[string]any{"object": ob.subject(), "merged_id": oldID[ob], "survivor_id": rec.ID, "survivor_key": other}})
	}
}

// retried reports whether a person retried every order of the object
// after seeing its problem.
func (r *run) retried(ob *object) bool {
	for _, c := range ob.contribs {
		if c.order.job.TriggeredBy != datasync.TriggerRetry {
			return false
		}
	}
	return true
}

func sameKey(prop, a, b string) bool {
	if prop == "email" {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return a == b
}
