package hubspotfake

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func in(trace string, p map[string]any) map[string]any {
	m := map[string]any{"properties": p}
	if trace != "" {
		m["objectWriteTraceId"] = trace
	}
	return m
}

func TestBatchCreateAttributesErrorsByTraceID(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "taken@example.org"})
	st, _, body := e.call("POST", v+"contacts/batch/create", map[string]any{"inputs": []any{
		in("t-ok", map[string]any{"email": "Ann@Example.org", "firstname": "Ann"}),
		in("t-dup", map[string]any{"email": "TAKEN@example.org"}),
		in("t-bad", map[string]any{"email": "x@y.org", "lifecyclestage": "Customer"}),
		in("t-dup-in-batch", map[string]any{"email": "ann@example.org"}),
	}})
	if st != 207 || body["status"] != "COMPLETE" || body["numErrors"].(float64) != 3 {
		t.Fatalf("status %d body %v", st, body)
	}
	results := list(t, body, "results")
	if len(results) != 1 || results[0]["objectWriteTraceId"] != "t-ok" || props(results[0])["email"] != "ann@example.org" {
		t.Fatalf("results = %v", results)
	}
	byTrace := map[string]map[string]any{}
	for _, er := range list(t, body, "errors") {
		byTrace[ctxList(t, er, "objectWriteTraceId")[0]] = er
	}
	if c := byTrace["t-dup"]; c["category"] != "CONFLICT" || !strings.HasPrefix(c["message"].(string), "Contact already exists. Existing ID: ") {
		t.Errorf("t-dup error = %v", c)
	}
	if c := byTrace["t-dup-in-batch"]; c["category"] != "CONFLICT" || !strings.Contains(c["message"].(string), results[0]["id"].(string)) {
		t.Errorf("t-dup-in-batch error = %v (want conflict naming %v)", c, results[0]["id"])
	}
	bad := byTrace["t-bad"]
	if bad["category"] != "VALIDATION_ERROR" || list(t, bad, "errors")[0]["code"] != "INVALID_OPTION" || list(t, bad, "errors")[0]["in"] != "lifecyclestage" {
		t.Errorf("t-bad error = %v", bad)
	}
	if n := len(e.srv.Records(hubEU, "contacts")); n != 2 {
		t.Errorf("stored contacts = %d, want 2 (seeded + t-ok)", n)
	}
}

func TestBatchWithoutTraceIDsFailsWhole(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "taken@example.org"})
	st, _, body := e.call("POST", v+"contacts/batch/create", map[string]any{"inputs": []any{
		in("", map[string]any{"email": "fine@example.org"}),
		in("", map[string]any{"email": "taken@example.org"}),
		in("", map[string]any{"email": "not-an-email"}),
	}})
	if st != 409 || body["category"] != "CONFLICT" || body["correlationId"] == "" {
		t.Fatalf("whole-batch failure: %d %v", st, body)
	}
	if _, ok := e.srv.FindRecord(hubEU, "contacts", "email", "fine@example.org"); ok {
		t.Error("a failed whole batch must write nothing")
	}
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.srv.AddProperty(hubEU, "contacts", Property{Name: "event_day", Label: "Event day", Type: "date", FieldType: "date"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, ot, prop, value, code string
	}{
		{"unknown property", "contacts", "shoe_size", "42", "PROPERTY_DOESNT_EXIST"},
		{"read-only property", "contacts", "createdate", "2024-01-01", "READ_ONLY_VALUE"},
		{"calculated property", "deals", "days_to_close", "3", "READ_ONLY_VALUE"},
		{"option label instead of value", "contacts", "lifecyclestage", "Lead", "INVALID_OPTION"},
		{"multi-checkbox bad item", "contacts", "hs_buying_role", "CHAMPION;GURU", "INVALID_OPTION"},
		{"deal stage label", "deals", "dealstage", "Closed Won", "INVALID_OPTION"},
		{"date not midnight (ms)", "contacts", "event_day", "1606768561954", "INVALID_DATE"},
		{"date not midnight (ISO)", "contacts", "event_day", "2024-05-01T10:00:00Z", "INVALID_DATE"},
		{"number with comma", "deals", "amount", "12,50", "INVALID_INTEGER"},
		{"invalid email", "contacts", "email", "jane.example.org", "INVALID_EMAIL"},
		{"bool", "contacts", "hs_email_optout", "yes", "INVALID_BOOLEAN"},
		{"datetime", "deals", "closedate", "yesterday", "INVALID_DATETIME"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trace := fmt.Sprintf("tr-%d", i)
			st, _, body := e.call("POST", v+c.ot+"/batch/create", map[string]any{"inputs": []any{
				in(trace, map[string]any{c.prop: c.value}),
			}})
			if st != 207 {
				t.Fatalf("status %d, want 207: %v", st, body)
			}
			er := list(t, body, "errors")[0]
			det := list(t, er, "errors")[0]
			if det["code"] != c.code || det["in"] != c.prop || ctxList(t, er, "objectWriteTraceId")[0] != trace {
				t.Errorf("error = %v", er)
			}
			if !strings.HasPrefix(er["message"].(string), "Property values were not valid: [") {
				t.Errorf("message = %q", er["message"])
			}
			// Without a trace id the same input fails the whole call with 400.
			st, _, body = e.call("POST", v+c.ot+"/batch/create", map[string]any{"inputs": []any{in("", map[string]any{c.prop: c.value})}})
			if st != 400 || body["category"] != "VALIDATION_ERROR" {
				t.Errorf("untraced: %d %v", st, body)
			}
		})
	}
	// And the valid spellings pass.
	st, _, body := e.call("POST", v+"contacts/batch/create", map[string]any{"inputs": []any{in("ok", map[string]any{
		"email": " Mixed@Case.ORG ", "event_day": "1606694400000", "hs_buying_role": "CHAMPION;END_USER", "lifecyclestage": "lead", "hs_email_optout": "true",
	})}})
	if st != 201 {
		t.Fatalf("valid create: %d %v", st, body)
	}
	p := props(list(t, body, "results")[0])
	if p["email"] != "mixed@case.org" || p["event_day"] != "2020-11-30" || p["hs_buying_role"] != "CHAMPION;END_USER" {
		t.Errorf("stored = %v", p)
	}
}

func TestUpsertAndUpdate(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.srv.AddProperty(hubEU, "deals", Property{Name: "pretix_order_key", Label: "pretix order", Type: "string", FieldType: "text", HasUniqueValue: true}); err != nil {
		t.Fatal(err)
	}
	existing := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "old@example.org", "firstname": "Old", "hs_buying_role": "CHAMPION"})
	st, _, body := e.call("POST", v+"contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"idProperty": "email", "id": "OLD@example.org", "properties": map[string]any{"lastname": "Timer", "hs_buying_role": ";END_USER"}, "objectWriteTraceId": "a"},
		map[string]any{"idProperty": "email", "id": "new@example.org", "properties": map[string]any{"firstname": "New"}, "objectWriteTraceId": "b"},
	}})
	if st != 200 {
		t.Fatalf("upsert: %d %v", st, body)
	}
	for _, r := range list(t, body, "results") {
		switch r["objectWriteTraceId"] {
		case "a":
			if r["new"] != false || r["id"] != existing || props(r)["lastname"] != "Timer" || props(r)["hs_buying_role"] != "CHAMPION;END_USER" {
				t.Errorf("existing upsert = %v", r)
			}
		case "b":
			if r["new"] != true || props(r)["email"] != "new@example.org" {
				t.Errorf("new upsert = %v", r)
			}
		default:
			t.Errorf("unexpected result %v", r)
		}
	}
	// Duplicate keys in one upsert batch are refused as a whole.
	st, _, body = e.call("POST", v+"contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"idProperty": "email", "id": "d@example.org", "properties": map[string]any{}, "objectWriteTraceId": "1"},
		map[string]any{"idProperty": "email", "id": "D@example.org", "properties": map[string]any{}, "objectWriteTraceId": "2"},
	}})
	if st != 400 || !strings.Contains(body["message"].(string), "Duplicate IDs") {
		t.Errorf("duplicate upsert keys: %d %v", st, body)
	}
	// Update by email is refused; by id works; a missing id is a 404 entry.
	st, _, body = e.call("POST", v+"contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"idProperty": "email", "id": "old@example.org", "properties": map[string]any{"firstname": "X"}},
	}})
	if st != 400 || !strings.Contains(body["message"].(string), "non-unique 0-1 property email") {
		t.Errorf("update by email: %d %v", st, body)
	}
	st, _, body = e.call("POST", v+"contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": existing, "properties": map[string]any{"firstname": "Renamed"}, "objectWriteTraceId": "u1"},
		map[string]any{"id": "999", "properties": map[string]any{"firstname": "Ghost"}, "objectWriteTraceId": "u2"},
	}})
	if st != 207 {
		t.Fatalf("update: %d %v", st, body)
	}
	er := list(t, body, "errors")[0]
	if er["category"] != "OBJECT_NOT_FOUND" || ctxList(t, er, "ids")[0] != "999" || ctxList(t, er, "objectWriteTraceId")[0] != "u2" {
		t.Errorf("missing id error = %v", er)
	}
	if r, _ := e.srv.FindRecord(hubEU, "contacts", "", existing); r.Properties["firstname"] != "Renamed" {
		t.Errorf("update not applied: %v", r.Properties)
	}
	// Upsert by a custom unique property; not by a plain one.
	st, _, _ = e.call("POST", v+"deals/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"idProperty": "pretix_order_key", "id": "org/ev/ABC12", "properties": map[string]any{"dealname": "ABC12", "dealstage": "closedwon"}, "objectWriteTraceId": "d1"},
	}})
	if st != 200 {
		t.Errorf("deal upsert: %d", st)
	}
	if r, ok := e.srv.FindRecord(hubEU, "deals", "pretix_order_key", "org/ev/ABC12"); !ok || r.Properties["pipeline"] != "default" {
		t.Errorf("deal = %v %v", r, ok)
	}
	st, _, _ = e.call("POST", v+"deals/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"idProperty": "dealname", "id": "x", "properties": map[string]any{}, "objectWriteTraceId": "d2"},
	}})
	if st != 400 {
		t.Errorf("upsert by non-unique property: %d", st)
	}
	// A unique value taken by another record is a 409.
	st, _, body = e.call("POST", v+"deals/batch/create", map[string]any{"inputs": []any{in("c1", map[string]any{"pretix_order_key": "org/ev/ABC12"})}})
	if st != 207 || list(t, body, "errors")[0]["category"] != "CONFLICT" {
		t.Errorf("unique conflict: %d %v", st, body)
	}
}

func TestBatchReadAndLimits(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "a@example.org", "firstname": "A"})
	st, _, body := e.call("POST", v+"contacts/batch/read", map[string]any{"idProperty": "email", "properties": []string{"firstname", "phone"},
		"inputs": []any{map[string]string{"id": "A@example.org"}, map[string]string{"id": "gone@example.org"}}})
	if st != 207 {
		t.Fatalf("read: %d %v", st, body)
	}
	r := list(t, body, "results")[0]
	p := props(r)
	if r["id"] != id || p["firstname"] != "A" || p["email"] != "a@example.org" || p["phone"] != nil {
		t.Errorf("result = %v", r)
	}
	if _, has := p["phone"]; !has {
		t.Error("requested but unset properties come back as null")
	}
	er := list(t, body, "errors")[0]
	if er["category"] != "OBJECT_NOT_FOUND" || ctxList(t, er, "ids")[0] != "gone@example.org" {
		t.Errorf("missing = %v", er)
	}
	inputs := make([]any, 101)
	for i := range inputs {
		inputs[i] = map[string]string{"id": fmt.Sprint(i)}
	}
	for _, op := range []string{"read", "create", "update", "upsert"} {
		if st, _, _ := e.call("POST", v+"contacts/batch/"+op, map[string]any{"inputs": inputs}); st != 400 {
			t.Errorf("%s with 101 inputs: %d, want 400", op, st)
		}
	}
	st, _, body = e.call("GET", v+"contacts/"+id+"?properties=firstname", nil)
	if st != 200 || props(body)["firstname"] != "A" {
		t.Errorf("single get: %d %v", st, body)
	}
	if st, _, _ = e.call("GET", v+"contacts/a@example.org?idProperty=email", nil); st != 200 {
		t.Errorf("get by email: %d", st)
	}
	if st, _, _ = e.call("GET", "/crm/objects/v3/contacts/"+id, nil); st != 404 {
		t.Errorf("unsupported version: %d", st)
	}
}

func TestAssociations(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "a@example.org"})
	co := e.srv.SeedRecord(hubEU, "companies", map[string]string{"name": "ACME"})
	st, _, body := e.call("POST", "/crm/associations/2026-03/contacts/companies/batch/associate/default", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]string{"id": c}, "to": map[string]string{"id": co}},
		map[string]any{"from": map[string]string{"id": c}, "to": map[string]string{"id": "404"}},
	}})
	if st != 207 {
		t.Fatalf("associate: %d %v", st, body)
	}
	if got := e.srv.Associations(hubEU, "companies", co, "contacts"); len(got[c]) != 1 || got[c][0] != 280 {
		t.Errorf("reverse link = %v", got)
	}
	res := list(t, body, "results")
	spec := res[0]["associationSpec"].(map[string]any)
	if spec["associationTypeId"].(float64) != 279 || spec["associationCategory"] != "HUBSPOT_DEFINED" {
		t.Errorf("spec = %v", spec)
	}
	if got := ctxList(t, list(t, body, "errors")[0], "INVALID_OBJECT_IDS"); len(got) != 1 || got[0] != "COMPANY=404 is not valid" {
		t.Errorf("invalid ids = %v", got)
	}
	// Inline associations on create; a type id of the wrong pair is refused.
	st, _, body = e.call("POST", v+"deals/batch/create", map[string]any{"inputs": []any{
		map[string]any{"objectWriteTraceId": "ok", "properties": map[string]any{"dealname": "D"}, "associations": []any{
			map[string]any{"to": map[string]string{"id": c}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}}}}},
		map[string]any{"objectWriteTraceId": "wrong", "properties": map[string]any{"dealname": "E"}, "associations": []any{
			map[string]any{"to": map[string]string{"id": co}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}}}}},
	}})
	if st != 207 {
		t.Fatalf("create with associations: %d %v", st, body)
	}
	deal := list(t, body, "results")[0]["id"].(string)
	if got := e.srv.Associations(hubEU, "contacts", c, "deals"); len(got[deal]) != 1 || got[deal][0] != 4 {
		t.Errorf("contact→deal = %v", got)
	}
	st, _, body = e.call("GET", v+"contacts/"+c+"/associations/deals", nil)
	if st != 200 || len(list(t, body, "results")) != 1 {
		t.Errorf("list associations: %d %v", st, body)
	}
}

func TestPropertiesAndPipelines(t *testing.T) {
	e := newEnv(t, Options{})
	st, _, body := e.call("GET", "/crm/properties/2026-03/deals", nil)
	if st != 200 {
		t.Fatal(st)
	}
	byName := map[string]map[string]any{}
	for _, p := range list(t, body, "results") {
		byName[p["name"].(string)] = p
	}
	if p := byName["dealstage"]; p["externalOptions"] != true || p["type"] != "enumeration" {
		t.Errorf("dealstage = %v", p)
	}
	if p := byName["hs_object_id"]; p["modificationMetadata"].(map[string]any)["readOnlyValue"] != true {
		t.Errorf("hs_object_id = %v", p)
	}
	if p := byName["days_to_close"]; p["calculated"] != true {
		t.Errorf("days_to_close = %v", p)
	}
	create := map[string]any{"name": "pretix_order_key", "label": "pretix order", "type": "string", "fieldType": "text", "hasUniqueValue": true, "groupName": "dealinformation"}
	st, _, body = e.call("POST", "/crm/properties/2026-03/deals", create)
	if st != 201 || body["hasUniqueValue"] != true {
		t.Fatalf("create: %d %v", st, body)
	}
	st, _, body = e.call("POST", "/crm/properties/2026-03/deals", create)
	if st != 409 || body["category"] != "OBJECT_ALREADY_EXISTS" {
		t.Errorf("duplicate: %d %v", st, body)
	}
	st, _, _ = e.call("POST", "/crm/properties/2026-03/deals", map[string]any{"name": "x_y", "label": "X", "type": "number", "fieldType": "text"})
	if st != 400 {
		t.Errorf("bad fieldType: %d", st)
	}
	for i := 1; i < maxUniquePerType; i++ {
		if err := e.srv.AddProperty(hubEU, "deals", Property{Name: fmt.Sprintf("u%d", i), Label: "U", Type: "string", FieldType: "text", HasUniqueValue: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.AddProperty(hubEU, "deals", Property{Name: "one_too_many", Label: "U", Type: "string", FieldType: "text", HasUniqueValue: true}); err == nil {
		t.Error("the 11th unique property must be refused")
	}
	st, _, body = e.call("GET", "/crm/pipelines/2026-03/deals", nil)
	pl := list(t, body, "results")
	if st != 200 || pl[0]["id"] != "default" || len(pl[0]["stages"].([]any)) != 7 {
		t.Errorf("pipelines: %d %v", st, body)
	}
	won := pl[0]["stages"].([]any)[5].(map[string]any)
	if won["id"] != "closedwon" || won["metadata"].(map[string]any)["isClosed"] != "true" {
		t.Errorf("closedwon = %v", won)
	}
}

// Validation rules bind writes from the 2026-09 version on: a create (or an
// update) that leaves a required property empty is refused with a
// VALIDATION_ERROR naming the property, per input; older versions ignore
// the rules.
func TestValidationRulesFrom202609(t *testing.T) {
	cases := []struct {
		version string
		props   map[string]any
		refused bool
	}{
		{"2026-03", map[string]any{"dealname": "A", "dealstage": "closedlost"}, false},
		{"2026-09", map[string]any{"dealname": "A", "dealstage": "closedlost"}, true},
		{"2026-09", map[string]any{"dealname": "A", "dealstage": "closedlost", "description": "lost to a rival"}, false},
		{"2026-09", map[string]any{"dealname": "A", "dealstage": "closedwon"}, false},
	}
	for _, c := range cases {
		e := newEnv(t, Options{})
		e.srv.AddValidationRule(hubEU, ValidationRule{ObjectType: "deals", Property: "description", When: map[string]string{"dealstage": "closedlost"}})
		st, _, body := e.call("POST", "/crm/objects/"+c.version+"/deals/batch/create", map[string]any{"inputs": []any{
			map[string]any{"objectWriteTraceId": "d1", "properties": c.props},
			map[string]any{"objectWriteTraceId": "d2", "properties": map[string]any{"dealname": "B", "dealstage": "closedwon"}},
		}})
		errs, _ := body["errors"].([]any)
		if !c.refused {
			if st != 201 || len(errs) != 0 {
				t.Errorf("%s %v: %d %v, want both created", c.version, c.props, st, body)
			}
			continue
		}
		if st != 207 || len(errs) != 1 || len(body["results"].([]any)) != 1 {
			t.Fatalf("%s %v: %d %v, want 207 with one error and one result", c.version, c.props, st, body)
		}
		eb := errs[0].(map[string]any)
		if _, ok := eb["links"].(map[string]any); !ok {
			t.Errorf("207 entry without links, which HubSpot's StandardError always has: %v", eb)
		}
		detail := eb["errors"].([]any)[0].(map[string]any)
		ctx := eb["context"].(map[string]any)["objectWriteTraceId"].([]any)
		if eb["category"] != "VALIDATION_ERROR" || !strings.Contains(eb["message"].(string), "description is required when dealstage is closedlost") ||
			detail["in"] != "description" || detail["code"] != "REQUIRED_FIELD" || ctx[0] != "d1" {
			t.Errorf("error entry %v", eb)
		}
	}
}

// Pipeline stages carry writePermissions, as HubSpot's do.
func TestPipelineStagesCarryWritePermissions(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.AddPipeline(hubEU, Pipeline{ID: "events", Label: "Events", Stages: []Stage{{ID: "booked", Label: "Booked"}}})
	st, _, body := e.call("GET", "/crm/pipelines/2026-09/deals", nil)
	if st != 200 {
		t.Fatalf("pipelines: %d %v", st, body)
	}
	n := 0
	for _, p := range body["results"].([]any) {
		for _, s := range p.(map[string]any)["stages"].([]any) {
			n++
			if wp := s.(map[string]any)["writePermissions"]; wp != "CRM_PERMISSIONS_ENFORCEMENT" {
				t.Errorf("stage %v: writePermissions %v", s.(map[string]any)["id"], wp)
			}
		}
	}
	if n < 8 {
		t.Fatalf("%d stages, want the default pipeline's 7 and one more", n)
	}
}

// The record link the product builds opens a read-only page of the record;
// an unknown record is a 404 page that says so.
func TestRecordPageAtTheProductsLink(t *testing.T) {
	e := newEnv(t, Options{Portals: []Portal{{ID: hubEU, Name: "EU"}}})
	st, _, body := e.call("POST", "/crm/objects/2026-03/contacts/batch/create", map[string]any{"inputs": []any{
		map[string]any{"properties": map[string]any{"email": "aoife@straße.example", "firstname": "Aoife", "lastname": "Ní Bhriain"}}}})
	if st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	id := list(t, body, "results")[0]["id"].(string)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{fmt.Sprintf("/contacts/%d/record/0-1/%s", hubEU, id), 200, "<title>Aoife Ní Bhriain | HubSpot</title>"},
		{fmt.Sprintf("/contacts/%d/record/0-1/%s", hubEU, "999999"), 404, "no such record"},
		{fmt.Sprintf("/contacts/%d/record/0-3/%s", hubEU, id), 404, "no such record"},
	} {
		resp, err := e.ts.Client().Get(e.ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %d, want %d with %q: %.300s", tc.path, resp.StatusCode, tc.status, tc.want, b)
		}
	}
}
