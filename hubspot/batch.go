package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"pretix-hubspot/apperr"
)

// Record is a CRM record as read or written. Property values are strings;
// HubSpot's null comes back as "" (present in the map when requested).
type Record struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	New        bool   // upsert: the record was created
	TraceID    string // objectWriteTraceId echoed by HubSpot
}

type wireRecord struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  time.Time          `json:"createdAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	New        bool               `json:"new"`
	TraceID    string             `json:"objectWriteTraceId"`
}

func (w wireRecord) record() Record {
	r := Record{ID: w.ID, Properties: make(map[string]string, len(w.Properties)), CreatedAt: w.CreatedAt,
		UpdatedAt: w.UpdatedAt, Archived: w.Archived, New: w.New, TraceID: w.TraceID}
	for k, v := range w.Properties {
		if v != nil {
			r.Properties[k] = *v
		} else {
			r.Properties[k] = ""
		}
	}
	return r
}

type wireBatch struct {
	Status    string       `json:"status"`
	Results   []wireRecord `json:"results"`
	NumErrors int          `json:"numErrors"`
	Errors    []wireError  `json:"errors"`
}

// normKey is how HubSpot compares values of idProperty: emails
// case-insensitively, everything else exactly.
func normKey(idProperty, v string) string {
	if idProperty == "email" {
		return strings.ToLower(strings.TrimSpace(v))
	}
	return v
}

func tooMany(op string, n, limit int) error {
	return apperr.Internal(fmt.Errorf("hubspot: %s: %d inputs, at most %d per call: split the batch", op, n, limit))
}

// wholeBatch marks a 4xx that rejected a whole batch call; auth, scope and
// rate-limit failures are about the connection, not the inputs.
func wholeBatch(err error) error {
	if e, ok := err.(*Error); ok && e.Status >= 400 && e.Status < 500 {
		switch e.Status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusLocked:
		default:
			e.WholeBatch = true
		}
	}
	return err
}

// ReadResult is the outcome of BatchRead, keyed by the values as requested.
type ReadResult struct {
	Found   map[string]Record
	Missing []string
	Errors  map[string]*Error // per value, other than "not found"
	// Asked are the properties asked for: HubSpot leaves empty ones out of
	// a record, so one asked for and absent is empty.
	Asked []string
}

// BatchRead reads up to MaxBatchInputs records by id (idProperty "") or by a
// unique property (email, or a hasUniqueValue property). properties are the
// ones to return; idProperty is added.
func (c *Client) BatchRead(ctx context.Context, ot ObjectType, idProperty string, values, properties []string) (*ReadResult, error) {
	op := "batch read " + string(ot)
	if len(values) > MaxBatchInputs {
		return nil, tooMany(op, len(values), MaxBatchInputs)
	}
	res := &ReadResult{Found: map[string]Record{}, Errors: map[string]*Error{}, Asked: properties}
	if len(values) == 0 {
		return res, nil
	}
	props := append([]string{}, properties...)
	if idProperty != "" && idProperty != "hs_object_id" && !containsStr(props, idProperty) {
		props = append(props, idProperty)
	}
	// A contact merged in HubSpot keeps the other's email as an additional
	// one and is still found by it: it must be matched to that input too.
	// Likewise a record read by an id merged away answers with the
	// survivor, which lists the old id among its merged ids.
	byAlias := ot == Contacts && idProperty == "email"
	alias := additionalEmails
	if idProperty == "" || idProperty == "hs_object_id" {
		byAlias, alias = true, mergedIDs
	}
	if byAlias && !containsStr(props, alias) {
		props = append(props, alias)
	}
	byKey := map[string][]string{}
	inputs := make([]map[string]string, 0, len(values))
	for _, v := range values {
		k := normKey(idProperty, v)
		if _, seen := byKey[k]; !seen {
			inputs = append(inputs, map[string]string{"id": v})
		}
		byKey[k] = append(byKey[k], v)
	}
	body := map[string]any{"properties": props, "propertiesWithHistory": []string{}, "inputs": inputs}
	if idProperty != "" {
		body["idProperty"] = idProperty
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/crm/objects/" + APIVersion + "/" + string(ot) + "/batch/read", body: body, idempotent: true})
	if err != nil {
		return nil, wholeBatch(err)
	}
	var out wireBatch
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	for _, w := range out.Results {
		rec := w.record()
		key := rec.ID
		if idProperty != "" && idProperty != "hs_object_id" {
			key = normKey(idProperty, rec.Properties[idProperty])
		}
		for _, orig := range byKey[key] {
			res.Found[orig] = rec
		}
		if byAlias {
			for _, e := range strings.Split(rec.Properties[alias], ";") {
				for _, orig := range byKey[normKey(idProperty, e)] {
					if _, ok := res.Found[orig]; !ok {
						res.Found[orig] = rec
					}
				}
			}
			if !containsStr(properties, alias) {
				delete(rec.Properties, alias)
			}
		}
	}
	for _, we := range out.Errors {
		e := classifyItem(op, we)
		for _, id := range we.Context["ids"] {
			for _, orig := range byKey[normKey(idProperty, id)] {
				if we.Category == "OBJECT_NOT_FOUND" {
					res.Missing = append(res.Missing, orig)
				} else {
					res.Errors[orig] = e
				}
			}
		}
	}
	// Anything HubSpot neither returned nor reported counts as missing.
	for _, v := range values {
		_, found := res.Found[v]
		_, failed := res.Errors[v]
		if !found && !failed && !containsStr(res.Missing, v) {
			res.Missing = append(res.Missing, v)
		}
	}
	return res, nil
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// CreateInput is one record to create. TraceID is required and unique per
// call: it is how a 207 names the failed input.
type CreateInput struct {
	TraceID      string
	Properties   map[string]string
	Associations []InlineAssociation
}

// InlineAssociation links a new record at creation (HUBSPOT_DEFINED type id,
// e.g. 3 deal→contact, 341 deal→company, 279 contact→company).
type InlineAssociation struct {
	ToID   string
	TypeID int
}

// UpdateInput changes one record by record id. TraceID is optional.
type UpdateInput struct {
	ID         string
	TraceID    string
	Properties map[string]string
}

// UpsertInput creates or updates the record whose idProperty equals ID.
// TraceID is required and unique per call.
type UpsertInput struct {
	ID         string
	TraceID    string
	Properties map[string]string
}

// WriteResult is the per-input outcome of a batch write: every input's key
// is in exactly one of the maps. Keys are trace ids (create, upsert) or
// record ids (update).
type WriteResult struct {
	Results map[string]Record
	Errors  map[string]*Error
}

type writeIndex struct {
	keys       []string          // input keys in order
	byTrace    map[string]string // trace id → key
	byID       map[string]string // record id or normalised idProperty value → key
	idProperty string
}

func checkTraces(op string, traces []string, required bool) error {
	seen := map[string]bool{}
	for _, t := range traces {
		if t == "" {
			if required {
				return apperr.Internal(fmt.Errorf("hubspot: %s: every input needs an objectWriteTraceId", op))
			}
			continue
		}
		if seen[t] {
			return apperr.Internal(fmt.Errorf("hubspot: %s: objectWriteTraceId %q used twice", op, t))
		}
		seen[t] = true
	}
	return nil
}

// appends reports whether a write is not idempotent: a leading ";" appends
// to a multi-select, so resending would not be harmless.
func appends(props map[string]string) bool {
	for _, v := range props {
		if strings.HasPrefix(v, ";") {
			return true
		}
	}
	return false
}

// BatchCreate creates up to MaxBatchInputs records. It is never resent after
// an ambiguous failure (network error, 5xx): the caller must re-read by key
// before creating again.
func (c *Client) BatchCreate(ctx context.Context, ot ObjectType, inputs []CreateInput) (*WriteResult, error) {
	op := "batch create " + string(ot)
	if len(inputs) > MaxBatchInputs {
		return nil, tooMany(op, len(inputs), MaxBatchInputs)
	}
	idx := writeIndex{byTrace: map[string]string{}, byID: map[string]string{}}
	traces := make([]string, 0, len(inputs))
	wire := make([]map[string]any, 0, len(inputs))
	for _, in := range inputs {
		traces = append(traces, in.TraceID)
		idx.keys = append(idx.keys, in.TraceID)
		idx.byTrace[in.TraceID] = in.TraceID
		wire = append(wire, createWire(in))
	}
	if err := checkTraces(op, traces, true); err != nil {
		return nil, err
	}
	return c.batchWrite(ctx, op, ot, "create", wire, idx, false)
}

// BatchUpdate updates up to MaxBatchInputs records by record id.
func (c *Client) BatchUpdate(ctx context.Context, ot ObjectType, inputs []UpdateInput) (*WriteResult, error) {
	op := "batch update " + string(ot)
	if len(inputs) > MaxBatchInputs {
		return nil, tooMany(op, len(inputs), MaxBatchInputs)
	}
	idx := writeIndex{byTrace: map[string]string{}, byID: map[string]string{}}
	traces := make([]string, 0, len(inputs))
	wire := make([]map[string]any, 0, len(inputs))
	idempotent := true
	for _, in := range inputs {
		if _, dup := idx.byID[in.ID]; dup || in.ID == "" {
			return nil, apperr.Internal(fmt.Errorf("hubspot: %s: record id %q empty or used twice", op, in.ID))
		}
		traces = append(traces, in.TraceID)
		idx.keys = append(idx.keys, in.ID)
		idx.byID[in.ID] = in.ID
		if in.TraceID != "" {
			idx.byTrace[in.TraceID] = in.ID
		}
		idempotent = idempotent && !appends(in.Properties)
		wire = append(wire, updateWire(in))
	}
	if err := checkTraces(op, traces, false); err != nil {
		return nil, err
	}
	return c.batchWrite(ctx, op, ot, "update", wire, idx, idempotent)
}

// BatchUpsert creates or updates up to MaxBatchInputs records by a unique
// property (contacts: email; others: a hasUniqueValue property). Inputs must
// have distinct keys (HubSpot rejects the whole batch otherwise).
func (c *Client) BatchUpsert(ctx context.Context, ot ObjectType, idProperty string, inputs []UpsertInput) (*WriteResult, error) {
	op := "batch upsert " + string(ot)
	if len(inputs) > MaxBatchInputs {
		return nil, tooMany(op, len(inputs), MaxBatchInputs)
	}
	idx := writeIndex{byTrace: map[string]string{}, byID: map[string]string{}, idProperty: idProperty}
	traces := make([]string, 0, len(inputs))
	wire := make([]map[string]any, 0, len(inputs))
	idempotent := true
	for _, in := range inputs {
		traces = append(traces, in.TraceID)
		idx.keys = append(idx.keys, in.TraceID)
		idx.byTrace[in.TraceID] = in.TraceID
		idx.byID[normKey(idProperty, in.ID)] = in.TraceID
		idempotent = idempotent && !appends(in.Properties)
		wire = append(wire, upsertWire(idProperty, in))
	}
	if err := checkTraces(op, traces, true); err != nil {
		return nil, err
	}
	return c.batchWrite(ctx, op, ot, "upsert", wire, idx, idempotent)
}

// The inputs of the write batches as HubSpot takes them.
func createWire(in CreateInput) map[string]any {
	w := map[string]any{"properties": nonNilProps(in.Properties), "objectWriteTraceId": in.TraceID}
	if len(in.Associations) > 0 {
		var as []map[string]any
		for _, a := range in.Associations {
			as = append(as, map[string]any{"to": map[string]string{"id": a.ToID},
				"types": []map[string]any{{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": a.TypeID}}})
		}
		w["associations"] = as
	}
	return w
}

func updateWire(in UpdateInput) map[string]any {
	w := map[string]any{"id": in.ID, "properties": nonNilProps(in.Properties)}
	if in.TraceID != "" {
		w["objectWriteTraceId"] = in.TraceID
	}
	return w
}

func upsertWire(idProperty string, in UpsertInput) map[string]any {
	return map[string]any{"idProperty": idProperty, "id": in.ID, "properties": nonNilProps(in.Properties), "objectWriteTraceId": in.TraceID}
}

// Request is a call as the client would send it, for showing it (the
// write plan) rather than sending it.
type Request struct {
	Method string         `json:"method"`
	Path   string         `json:"path"`
	Body   map[string]any `json:"body"`
}

func writeRequest(ot ObjectType, verb string, input map[string]any) Request {
	return Request{Method: http.MethodPost, Path: "/crm/objects/" + APIVersion + "/" + string(ot) + "/batch/" + verb,
		Body: map[string]any{"inputs": []map[string]any{input}}}
}

// CreateRequest is BatchCreate's request for one record.
func CreateRequest(ot ObjectType, in CreateInput) Request {
	return writeRequest(ot, "create", createWire(in))
}

// UpdateRequest is BatchUpdate's request for one record.
func UpdateRequest(ot ObjectType, in UpdateInput) Request {
	return writeRequest(ot, "update", updateWire(in))
}

// UpsertRequest is BatchUpsert's request for one record.
func UpsertRequest(ot ObjectType, idProperty string, in UpsertInput) Request {
	return writeRequest(ot, "upsert", upsertWire(idProperty, in))
}

func nonNilProps(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return p
}

// batchWrite sends one write batch and attributes every result and error to
// its input.
func (c *Client) batchWrite(ctx context.Context, op string, ot ObjectType, verb string, wire []map[string]any, idx writeIndex, idempotent bool) (*WriteResult, error) {
	res := &WriteResult{Results: map[string]Record{}, Errors: map[string]*Error{}}
	if len(wire) == 0 {
		return res, nil
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/crm/objects/" + APIVersion + "/" + string(ot) + "/batch/" + verb,
		body: map[string]any{"inputs": wire}, idempotent: idempotent})
	if err != nil {
		return nil, wholeBatch(err)
	}
	var out wireBatch
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	var unplaced []Record
	for _, w := range out.Results {
		rec := w.record()
		key, ok := idx.byTrace[rec.TraceID]
		if !ok && verb == "update" {
			key, ok = idx.byID[rec.ID]
		}
		if !ok && verb == "upsert" {
			key, ok = idx.byID[normKey(idx.idProperty, rec.Properties[idx.idProperty])]
		}
		if !ok {
			unplaced = append(unplaced, rec)
			continue
		}
		res.Results[key] = rec
	}
	var unattributed *Error
	for _, we := range out.Errors {
		e := classifyItem(op, we)
		placed := false
		for _, t := range we.Context["objectWriteTraceId"] {
			if key, ok := idx.byTrace[t]; ok {
				res.Errors[key], placed = e, true
			}
		}
		for _, id := range we.Context["ids"] {
			if key, ok := idx.byID[normKey(idx.idProperty, id)]; ok {
				res.Errors[key], placed = e, true
			}
		}
		if !placed && unattributed == nil {
			unattributed = e
		}
	}
	// Results without a trace id echo, in a call without errors, can only be
	// matched by position (the order HubSpot keeps in practice).
	if len(unplaced) == len(idx.keys) && len(out.Errors) == 0 {
		for i, rec := range unplaced {
			res.Results[idx.keys[i]] = rec
		}
	}
	for _, key := range idx.keys {
		if _, ok := res.Results[key]; ok {
			continue
		}
		if _, ok := res.Errors[key]; ok {
			continue
		}
		if unattributed != nil {
			res.Errors[key] = unattributed
			continue
		}
		res.Errors[key] = &Error{Class: ClassTemporary, Op: op, Status: resp.status,
			Message: "HubSpot returned neither a result nor an error for this input"}
	}
	return res, nil
}

// additionalEmails holds the emails of contacts merged into a contact,
// mergedIDs the ids of the records merged into a record.
const (
	additionalEmails = "hs_additional_emails"
	mergedIDs        = "hs_merged_object_ids"
)
