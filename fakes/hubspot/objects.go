package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBatchInputs is HubSpot's cap on inputs per object batch call.
const maxBatchInputs = 100

// recordJSON renders a record as a SimplePublicObject. With want == nil all
// stored properties are returned (write responses); otherwise the named ones
// (null when unset) plus the always-present system properties.
func recordJSON(ot string, r *record, want []string) map[string]any {
	props := map[string]*string{}
	val := func(n string) *string {
		if v, ok := r.props[n]; ok {
			return &v
		}
		return nil
	}
	if want == nil {
		for n, v := range r.props {
			props[n] = &v
		}
	} else {
		for _, n := range want {
			props[n] = val(n)
		}
		for _, n := range []string{"hs_object_id", "createdate", lastModifiedProp(ot)} {
			props[n] = val(n)
		}
	}
	return map[string]any{
		"id": r.id, "properties": props, "archived": r.archived,
		"createdAt": r.created.UTC().Format(timeLayout), "updatedAt": r.updated.UTC().Format(timeLayout),
	}
}

func (s *Server) touch(pt *portal, ot string, r *record) {
	now := s.clock.Now()
	r.updated = now
	pt.objects[ot].set(r, lastModifiedProp(ot), now.UTC().Format(timeLayout))
}

func (s *Server) newRecord(pt *portal, ot, id string) *record {
	now := s.clock.Now()
	r := &record{id: id, props: map[string]string{}, created: now, updated: now}
	st := pt.objects[ot]
	st.set(r, "hs_object_id", id)
	st.set(r, "createdate", now.UTC().Format(timeLayout))
	st.set(r, lastModifiedProp(ot), now.UTC().Format(timeLayout))
	st.byID[id] = r
	st.order = append(st.order, id)
	return r
}

func applyProps(st *objectStore, r *record, props map[string]string) {
	for n, v := range props {
		st.set(r, n, v)
	}
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope(objectScope(c.objectType, "read")); e != nil {
		s.writeError(w, e)
		return
	}
	q := r.URL.Query()
	idProp := q.Get("idProperty")
	if idProp != "" && idProp != "hs_object_id" && !c.portal.isUniqueKey(c.objectType, idProp) {
		s.writeError(w, badRequest(fmt.Sprintf("%s is not a unique property of %s", idProp, typeIDs[c.objectType])))
		return
	}
	rec := c.portal.resolve(c.objectType, idProp, r.PathValue("id"))
	if rec == nil {
		s.writeError(w, notFoundError("resource not found"))
		return
	}
	s.writeJSON(w, http.StatusOK, recordJSON(c.objectType, rec, wantProps(c.objectType, q.Get("properties"))))
}

func wantProps(ot, csv string) []string {
	var out []string
	for _, p := range strings.Split(csv, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return defaultRead[ot]
	}
	return out
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope(objectScope(c.objectType, "read")); e != nil {
		s.writeError(w, e)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 10
	}
	if limit > 100 {
		limit = 100
	}
	after, _ := strconv.Atoi(q.Get("after"))
	st := c.portal.objects[c.objectType]
	var live []*record
	for _, id := range st.order {
		if rec := st.byID[id]; !rec.archived {
			live = append(live, rec)
		}
	}
	want := wantProps(c.objectType, q.Get("properties"))
	results := []map[string]any{}
	for i := after; i < len(live) && i < after+limit; i++ {
		results = append(results, recordJSON(c.objectType, live[i], want))
	}
	out := map[string]any{"results": results}
	if after+limit < len(live) {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(after + limit)}}
	}
	s.writeJSON(w, http.StatusOK, out)
}

type readRequest struct {
	IDProperty string   `json:"idProperty"`
	Properties []string `json:"properties"`
	Inputs     []struct {
		ID string `json:"id"`
	} `json:"inputs"`
}

func (s *Server) batchRead(w http.ResponseWriter, r *http.Request, c *callCtx) {
	ot := c.objectType
	if e := c.requireAnyScope(objectScope(ot, "read")); e != nil {
		s.writeError(w, e)
		return
	}
	var in readRequest
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	if e := checkCount(len(in.Inputs)); e != nil {
		s.writeError(w, e)
		return
	}
	idProp := in.IDProperty
	if idProp != "" && idProp != "hs_object_id" && !c.portal.isUniqueKey(ot, idProp) {
		s.writeError(w, badRequest(fmt.Sprintf("Unable to read by non-unique %s property %s", typeIDs[ot], idProp)))
		return
	}
	want := append([]string{}, in.Properties...)
	if len(want) == 0 {
		want = append(want, defaultRead[ot]...)
	}
	if idProp != "" && idProp != "hs_object_id" && !contains(want, idProp) {
		want = append(want, idProp)
	}
	started := s.clock.Now()
	results := []map[string]any{}
	seen := map[string]bool{}
	var missing []string
	for _, x := range in.Inputs {
		rec := c.portal.resolve(ot, idProp, x.ID)
		if rec == nil {
			missing = append(missing, x.ID)
			continue
		}
		if !seen[rec.id] {
			seen[rec.id] = true
			results = append(results, recordJSON(ot, rec, want))
		}
	}
	var errs []errorBody
	if len(missing) > 0 {
		errs = append(errs, errorBody{Status: "error", Category: "OBJECT_NOT_FOUND",
			Message: fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", hubspotTypeName[ot]),
			Context: map[string][]string{"ids": missing}})
	}
	s.writeBatch(w, http.StatusOK, results, errs, started)
}

func checkCount(n int) *apiError {
	if n > maxBatchInputs {
		return badRequest(fmt.Sprintf("Batch input limit exceeded: %d inputs were sent, the limit is %d.", n, maxBatchInputs))
	}
	return nil
}

// writeBatch sends the BatchResponse envelope: ok when there are no
// errors, 207 with numErrors and errors otherwise.
func (s *Server) writeBatch(w http.ResponseWriter, ok int, results []map[string]any, errs []errorBody, started time.Time) {
	body := map[string]any{
		"status": "COMPLETE", "results": results,
		"startedAt": started.UTC().Format(timeLayout), "completedAt": s.clock.Now().UTC().Format(timeLayout),
	}
	status := ok
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		body["numErrors"] = len(errs)
		entries := make([]batchError, len(errs))
		for i, e := range errs {
			entries[i] = batchError{errorBody: e, Links: map[string]string{}, Errors: e.Errors}
			if entries[i].Errors == nil {
				entries[i].Errors = []errorDetail{}
			}
		}
		body["errors"] = entries
	}
	s.writeJSON(w, status, body)
}

// batchError is a 207 entry: HubSpot's StandardError, whose links and
// errors are always present (empty when there is nothing to say).
type batchError struct {
	errorBody
	Links  map[string]string `json:"links"`
	Errors []errorDetail     `json:"errors"`
}

type inlineAssoc struct {
	To struct {
		ID string `json:"id"`
	} `json:"to"`
	Types []struct {
		AssociationCategory string `json:"associationCategory"`
		AssociationTypeID   int    `json:"associationTypeId"`
	} `json:"types"`
}

type writeInput struct {
	ID                 string               `json:"id"`
	IDProperty         string               `json:"idProperty"`
	Properties         map[string]propValue `json:"properties"`
	ObjectWriteTraceID string               `json:"objectWriteTraceId"`
	Associations       []inlineAssoc        `json:"associations"`
}

// planned is one input that passed validation, ready to apply.
type planned struct {
	trace string
	apply func() map[string]any
}

// failed is one input HubSpot rejects.
type failed struct {
	trace, id string
	err       *apiError
}

type writeKind int

const (
	writeCreate writeKind = iota
	writeUpdate
	writeUpsert
)

func (s *Server) batchCreate(w http.ResponseWriter, r *http.Request, c *callCtx) {
	s.batchWrite(w, c, writeCreate)
}

func (s *Server) batchUpdate(w http.ResponseWriter, r *http.Request, c *callCtx) {
	s.batchWrite(w, c, writeUpdate)
}

func (s *Server) batchUpsert(w http.ResponseWriter, r *http.Request, c *callCtx) {
	s.batchWrite(w, c, writeUpsert)
}

// batchWrite implements create, update and upsert. Like HubSpot, it gives
// per-input results (207) only when every input carries a unique
// objectWriteTraceId; otherwise the first bad input fails the whole batch and
// nothing is written.
func (s *Server) batchWrite(w http.ResponseWriter, c *callCtx, kind writeKind) {
	ot, pt := c.objectType, c.portal
	if e := c.requireAnyScope(objectScope(ot, "write")); e != nil {
		s.writeError(w, e)
		return
	}
	var in struct {
		Inputs []writeInput `json:"inputs"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	if e := checkCount(len(in.Inputs)); e != nil {
		s.writeError(w, e)
		return
	}
	traced := len(in.Inputs) > 0
	traces := map[string]bool{}
	for _, x := range in.Inputs {
		if x.ObjectWriteTraceID == "" {
			traced = false
			continue
		}
		if traces[x.ObjectWriteTraceID] {
			s.writeError(w, badRequest("Duplicate objectWriteTraceId in batch input: "+x.ObjectWriteTraceID))
			return
		}
		traces[x.ObjectWriteTraceID] = true
	}
	if e := s.checkKeys(pt, ot, kind, in.Inputs); e != nil {
		s.writeError(w, e)
		return
	}
	started := s.clock.Now()
	pending := map[string]string{}
	var plans []planned
	var fails []failed
	for _, x := range in.Inputs {
		p, e := s.planWrite(c, kind, x, pending)
		if e != nil {
			fails = append(fails, failed{trace: x.ObjectWriteTraceID, id: x.ID, err: e})
			continue
		}
		plans = append(plans, p)
	}
	if len(fails) > 0 && !traced {
		e := fails[0].err
		if kind == writeUpdate && fails[0].id != "" {
			e.body.Context = mergeContext(e.body.Context, "ids", fails[0].id)
		}
		s.writeError(w, e)
		return
	}
	results := []map[string]any{}
	for _, p := range plans {
		res := p.apply()
		if p.trace != "" {
			res["objectWriteTraceId"] = p.trace
		}
		results = append(results, res)
	}
	var errs []errorBody
	for _, f := range fails {
		b := f.err.body
		b.Context = mergeContext(b.Context, "objectWriteTraceId", f.trace)
		if kind == writeUpdate {
			b.Context = mergeContext(b.Context, "ids", f.id)
		}
		errs = append(errs, b)
	}
	ok := http.StatusOK
	if kind == writeCreate {
		ok = http.StatusCreated
	}
	s.writeBatch(w, ok, results, errs, started)
}

func mergeContext(ctx map[string][]string, key, v string) map[string][]string {
	out := map[string][]string{}
	for k, vs := range ctx {
		out[k] = vs
	}
	out[key] = append(out[key], v)
	return out
}

// checkKeys applies the batch-level rules on idProperty and duplicate keys.
func (s *Server) checkKeys(pt *portal, ot string, kind writeKind, inputs []writeInput) *apiError {
	if kind == writeCreate {
		return nil
	}
	seen := map[string]bool{}
	var dups []string
	for _, x := range inputs {
		idp := x.IDProperty
		switch {
		case kind == writeUpsert && (idp == "" || idp == "hs_object_id"):
			return badRequest(fmt.Sprintf("%q is not a valid idProperty for upsert; use a unique property such as email (contacts) or a property with hasUniqueValue.", idp))
		case kind == writeUpsert && !pt.isUniqueKey(ot, idp):
			return badRequest(fmt.Sprintf("Unable to perform update/upsert by non-unique %s property %s", typeIDs[ot], idp))
		case kind == writeUpdate && idp != "" && idp != "hs_object_id":
			// Contact email is unique for upsert but refused here (reference §10 #2).
			if p := pt.property(ot, idp); p == nil || !p.HasUniqueValue {
				return badRequest(fmt.Sprintf("Unable to perform update/upsert by non-unique %s property %s", typeIDs[ot], idp))
			}
		}
		key := x.ID
		if idp == "email" {
			key = strings.ToLower(strings.TrimSpace(key))
		}
		if seen[idp+"\x00"+key] {
			dups = append(dups, x.ID)
		}
		seen[idp+"\x00"+key] = true
	}
	if len(dups) > 0 {
		return badRequest(fmt.Sprintf("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", ")))
	}
	return nil
}

// planWrite validates one input and returns how to apply it.
func (s *Server) planWrite(c *callCtx, kind writeKind, x writeInput, pending map[string]string) (planned, *apiError) {
	pt, ot := c.portal, c.objectType
	var existing *record
	switch kind {
	case writeUpdate:
		existing = pt.findBy(ot, x.IDProperty, x.ID)
		if existing == nil {
			e := notFoundError(fmt.Sprintf("Object not found. objectId are usually numeric. (%s %s)", hubspotTypeName[ot], x.ID))
			return planned{}, e
		}
	case writeUpsert:
		existing = pt.findBy(ot, x.IDProperty, x.ID)
	}
	props := map[string]propValue{}
	for k, v := range x.Properties {
		props[k] = v
	}
	if kind == writeUpsert {
		props[x.IDProperty] = propValue(x.ID)
	}
	norm, e := s.validateProps(pt, ot, props, existing)
	if e != nil {
		return planned{}, e
	}
	if e := s.checkRules(pt, c.version, ot, existing, norm); e != nil {
		return planned{}, e
	}
	id := ""
	if existing != nil {
		id = existing.id
	} else {
		id = pt.newID()
	}
	if e := s.uniqueConflict(pt, ot, norm, id, pending); e != nil {
		return planned{}, e
	}
	links, e := s.checkInlineAssociations(pt, ot, x.Associations)
	if e != nil {
		return planned{}, e
	}
	reserveUnique(pt, ot, norm, id, pending)
	if ot == "deals" && existing == nil && norm["pipeline"] == "" && norm["dealstage"] != "" {
		norm["pipeline"] = "default"
	}
	return planned{trace: x.ObjectWriteTraceID, apply: func() map[string]any {
		rec, isNew := existing, existing == nil
		if isNew {
			rec = s.newRecord(pt, ot, id)
		}
		applyProps(pt.objects[ot], rec, norm)
		if ot == "line_items" {
			lineItemAmount(pt.objects[ot], rec)
		}
		s.touch(pt, ot, rec)
		for _, l := range links {
			pt.associate(ot, rec.id, l.toType, l.toID, l.typeID)
		}
		out := recordJSON(ot, rec, nil)
		if kind == writeUpsert {
			out["new"] = isNew
		}
		return out
	}}, nil
}

type plannedLink struct {
	toType, toID string
	typeID       int
}

func (s *Server) checkInlineAssociations(pt *portal, ot string, in []inlineAssoc) ([]plannedLink, *apiError) {
	var out []plannedLink
	var invalid []string
	for _, a := range in {
		for _, t := range a.Types {
			at, ok := assocTypes[t.AssociationTypeID]
			if t.AssociationCategory != "HUBSPOT_DEFINED" || !ok {
				invalid = append(invalid, fmt.Sprintf("associationTypeId %d (%s) is not valid", t.AssociationTypeID, t.AssociationCategory))
				continue
			}
			// A type id of the wrong pair makes HubSpot look the id up in the
			// wrong object type, hence its misleading message.
			if at.from != ot || pt.findBy(at.to, "", a.To.ID) == nil {
				invalid = append(invalid, fmt.Sprintf("%s=%s is not valid", hubspotTypeName[at.to], a.To.ID))
				continue
			}
			out = append(out, plannedLink{toType: at.to, toID: a.To.ID, typeID: t.AssociationTypeID})
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		e := badRequest("One or more associations are invalid")
		e.body.SubCategory = "crm.associations.INVALID_OBJECT_IDS"
		e.body.Context = map[string][]string{"INVALID_OBJECT_IDS": invalid}
		return nil, e
	}
	return out, nil
}
