package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// maxAssociationInputs is the batch association cap quoted for HubSpot.
const maxAssociationInputs = 2000

type assocPair struct {
	From struct {
		ID string `json:"id"`
	} `json:"from"`
	To struct {
		ID string `json:"id"`
	} `json:"to"`
}

func (s *Server) batchAssociateDefault(w http.ResponseWriter, r *http.Request, c *callCtx) {
	from, to, pt := c.objectType, c.toType, c.portal
	if e := c.requireAllScopes(objectScope(from, "write"), objectScope(to, "write")); e != nil {
		s.writeError(w, e)
		return
	}
	typeID, ok := defaultTypeID(from, to)
	if !ok {
		s.writeError(w, badRequest(fmt.Sprintf("There is no default association type from %s to %s", typeIDs[from], typeIDs[to])))
		return
	}
	var in struct {
		Inputs []assocPair `json:"inputs"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	if len(in.Inputs) > maxAssociationInputs {
		s.writeError(w, badRequest(fmt.Sprintf("Batch input limit exceeded: %d inputs were sent, the limit is %d.", len(in.Inputs), maxAssociationInputs)))
		return
	}
	started := s.clock.Now()
	results := []map[string]any{}
	var errs []errorBody
	spec := func(id int) map[string]any {
		return map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": id}
	}
	for _, p := range in.Inputs {
		var invalid []string
		if pt.findBy(from, "", p.From.ID) == nil {
			invalid = append(invalid, fmt.Sprintf("%s=%s is not valid", hubspotTypeName[from], p.From.ID))
		}
		if pt.findBy(to, "", p.To.ID) == nil {
			invalid = append(invalid, fmt.Sprintf("%s=%s is not valid", hubspotTypeName[to], p.To.ID))
		}
		if len(invalid) > 0 {
			errs = append(errs, errorBody{Status: "error", Category: "VALIDATION_ERROR", SubCategory: "crm.associations.INVALID_OBJECT_IDS",
				Message: "One or more associations are invalid", Context: map[string][]string{"INVALID_OBJECT_IDS": invalid}})
			continue
		}
		if msg := pt.secondParent(from, p.From.ID, to, p.To.ID); msg != "" {
			errs = append(errs, errorBody{Status: "error", Category: "VALIDATION_ERROR", SubCategory: "crm.associations.LINE_ITEM_HAS_PARENT",
				Message: msg, Context: map[string][]string{"fromObjectId": {p.From.ID}, "toObjectId": {p.To.ID}}})
			continue
		}
		pt.associate(from, p.From.ID, to, p.To.ID, typeID)
		results = append(results,
			map[string]any{"from": map[string]string{"id": p.From.ID}, "to": map[string]string{"id": p.To.ID}, "associationSpec": spec(typeID)},
			map[string]any{"from": map[string]string{"id": p.To.ID}, "to": map[string]string{"id": p.From.ID}, "associationSpec": spec(reverseType[typeID])})
	}
	// Association batches answer 200, not 201, since August 2025.
	s.writeBatch(w, http.StatusOK, results, errs, started)
}

// linkJSON renders one record's associations to one type, v4 style.
func linkJSON(targets map[string]map[int]bool) []map[string]any {
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		var types []map[string]any
		var tids []int
		for t := range targets[id] {
			tids = append(tids, t)
		}
		sort.Ints(tids)
		for _, t := range tids {
			types = append(types, map[string]any{"category": "HUBSPOT_DEFINED", "typeId": t, "label": nil})
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		out = append(out, map[string]any{"toObjectId": n, "associationTypes": types})
	}
	return out
}

func (s *Server) batchReadAssociations(w http.ResponseWriter, r *http.Request, c *callCtx) {
	from, to := c.objectType, c.toType
	if e := c.requireAllScopes(objectScope(from, "read"), objectScope(to, "read")); e != nil {
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
	if len(in.Inputs) > 1000 {
		s.writeError(w, badRequest(fmt.Sprintf("Batch input limit exceeded: %d inputs were sent, the limit is 1000.", len(in.Inputs))))
		return
	}
	started := s.clock.Now()
	results := []map[string]any{}
	for _, x := range in.Inputs {
		targets := c.portal.links[linkKey{from, x.ID, to}]
		if len(targets) == 0 {
			continue
		}
		results = append(results, map[string]any{"from": map[string]string{"id": x.ID}, "to": linkJSON(targets)})
	}
	s.writeBatch(w, http.StatusOK, results, nil, started)
}

func (s *Server) listAssociations(w http.ResponseWriter, r *http.Request, c *callCtx) {
	from, to := c.objectType, c.toType
	if e := c.requireAllScopes(objectScope(from, "read"), objectScope(to, "read")); e != nil {
		s.writeError(w, e)
		return
	}
	if c.portal.findBy(from, "", r.PathValue("id")) == nil {
		s.writeError(w, notFoundError("resource not found"))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"results": linkJSON(c.portal.links[linkKey{from, r.PathValue("id"), to}])})
}
