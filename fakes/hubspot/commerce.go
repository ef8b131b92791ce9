package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// lineItemAmount keeps the calculated net price true: quantity × unit
// price (HubSpot also subtracts discounts, which pretix never sends); a
// line item without a quantity counts once, as HubSpot's editor shows it.
func lineItemAmount(st *objectStore, r *record) {
	qs := r.props["quantity"]
	if qs == "" {
		qs = "1"
	}
	q, err1 := strconv.ParseFloat(qs, 64)
	p, err2 := strconv.ParseFloat(r.props["price"], 64)
	if err1 != nil || err2 != nil {
		st.set(r, "amount", "")
		return
	}
	st.set(r, "amount", strconv.FormatFloat(q*p, 'f', -1, 64))
}

// secondParent refuses a second deal for a line item: HubSpot keeps a line
// item with one parent only.
func (p *portal) secondParent(fromType, fromID, toType, toID string) string {
	item, deal := fromID, toID
	switch {
	case fromType == "line_items" && toType == "deals":
	case fromType == "deals" && toType == "line_items":
		item, deal = toID, fromID
	default:
		return ""
	}
	for other := range p.links[linkKey{"line_items", item, "deals"}] {
		if other != deal {
			return fmt.Sprintf("Line item %s already belongs to deal %s; a line item can have only one parent. Create a new line item instead.", item, other)
		}
	}
	return ""
}

// unlinkAll removes every association of a record, both directions, as
// archiving does in HubSpot.
func (p *portal) unlinkAll(ot, id string) {
	for k, targets := range p.links {
		if k.fromType == ot && k.fromID == id {
			for other := range targets {
				delete(p.links[linkKey{k.toType, other, ot}], id)
			}
			delete(p.links, k)
		}
	}
}

// batchArchive archives records by id; unknown ids are ignored, and the
// answer is 204 with no body, as HubSpot's.
func (s *Server) batchArchive(w http.ResponseWriter, r *http.Request, c *callCtx) {
	ot, pt := c.objectType, c.portal
	if e := c.requireAnyScope(objectScope(ot, "write")); e != nil {
		s.writeError(w, e)
		return
	}
	var in struct {
		Inputs []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	if e := checkCount(len(in.Inputs)); e != nil {
		s.writeError(w, e)
		return
	}
	for _, x := range in.Inputs {
		rec := pt.objects[ot].byID[x.ID]
		if rec == nil || rec.archived {
			continue
		}
		rec.archived = true
		pt.unlinkAll(ot, x.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}

// batchDissociate removes all associations between the given records
// (v4 batch/archive): 204, and pairs that were not linked are no error.
func (s *Server) batchDissociate(w http.ResponseWriter, r *http.Request, c *callCtx) {
	from, to, pt := c.objectType, c.toType, c.portal
	if e := c.requireAllScopes(objectScope(from, "write"), objectScope(to, "write")); e != nil {
		s.writeError(w, e)
		return
	}
	var in struct {
		Inputs []struct {
			From struct {
				ID string `json:"id"`
			} `json:"from"`
			To []struct {
				ID string `json:"id"`
			} `json:"to"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	if len(in.Inputs) > maxAssociationInputs {
		s.writeError(w, badRequest(fmt.Sprintf("Batch input limit exceeded: %d inputs were sent, the limit is %d.", len(in.Inputs), maxAssociationInputs)))
		return
	}
	for _, x := range in.Inputs {
		for _, t := range x.To {
			delete(pt.links[linkKey{from, x.From.ID, to}], t.ID)
			delete(pt.links[linkKey{to, t.ID, from}], x.From.ID)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
