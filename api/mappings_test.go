package api

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

const (
	mapBase   = "/api/organizers/acme/events/devcon25"
	mapOther  = "/api/organizers/acme/events/devcon26"
	mapToken  = "pat-mappings-test"
	mapNoSchW = "pat-mappings-nowrite"
)

func mapFixture(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "datasync", "fields", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mapSeedEvent stores an event of organizer "acme" with the devcon25
// catalogue, as the puller would.
func mapSeedEvent(t *testing.T, e *testEnv, slug string) int64 {
	t.Helper()
	now := time.Now().UTC()
	if err := e.db.Exec(`INSERT OR IGNORE INTO pretix_organizers (id, base_url, slug, webhook_secret_hash, created_at, updated_at)
		VALUES (7, 'https://pretix.example', 'acme', 'h7', ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	d := func(name string) string { return mapFixture(t, "devcon25", name) }
	ev := models.PretixEvent{OrganizerID: 7, Slug: slug, NameJSON: `{"en":"DevCon ` + slug + `"}`, EventJSON: d("event.json"),
		SettingsJSON: d("settings.json"), ItemsJSON: d("items.json"), QuestionsJSON: d("questions.json"),
		CheckinListsJSON: d("checkinlists.json"), InPretix: true, CreatedAt: now, UpdatedAt: now}
	if err := e.db.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// mapSetup signs in and connects devcon25 and devcon26 to the emulator's
// first portal with a private app token holding every scope.
func mapSetup(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.signUp()
	all := append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...)
	e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: mapToken, HubID: hsTestHub, Scopes: all})
	for _, slug := range []string{"devcon25", "devcon26"} {
		mapSeedEvent(t, e, slug)
		r := e.do("POST", "/api/organizers/acme/events/"+slug+"/hubspot/token", map[string]string{"token": mapToken, "hub_id": fmt.Sprint(hsTestHub)}, nil)
		if r.Status != 200 {
			t.Fatalf("connect %s: %d %s", slug, r.Status, r.Body)
		}
	}
	return e
}

func data(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	d, _ := r.json(t)["data"].(map[string]any)
	return d
}

func dataList(t *testing.T, r response) []any {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	l, ok := r.json(t)["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %s", r.Body)
	}
	return l
}

func errorOf(t *testing.T, r response) (code string, fields map[string]any) {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error body: %d %s", r.Status, r.Body)
	}
	f, _ := e["fields"].(map[string]any)
	return e["code"].(string), f
}

func TestPropertiesAPI(t *testing.T) {
	e := mapSetup(t)
	list := data(t, e.do("GET", mapBase+"/hubspot/properties/contacts", nil, nil), 200)
	if list["can_create_properties"] != true {
		t.Error("the token holds the schema write scopes")
	}
	var email map[string]any
	for _, p := range list["properties"].([]any) {
		if p := p.(map[string]any); p["name"] == "email" {
			email = p
		}
	}
	if email == nil || email["picker_label"] != "Email (email | string)" || email["unique"] != true {
		t.Errorf("email: %v", email)
	}
	if err := e.hsFake.AddProperty(hsTestHub, "contacts", hubspotfake.Property{Name: "badge_name", Label: "Badge name", Type: "string", FieldType: "text", GroupName: "contactinformation"}); err != nil {
		t.Fatal(err)
	}
	cached := data(t, e.do("GET", mapBase+"/hubspot/properties/contacts", nil, nil), 200)
	fresh := data(t, e.do("GET", mapBase+"/hubspot/properties/contacts?refresh=1", nil, nil), 200)
	if len(fresh["properties"].([]any)) != len(cached["properties"].([]any))+1 {
		t.Errorf("refresh did not load the new property")
	}
	r := e.do("GET", mapBase+"/hubspot/properties/tickets", nil, nil)
	if code, _ := errorOf(t, r); r.Status != 400 || code != "target_type_invalid" {
		t.Errorf("unknown object type: %d %s", r.Status, r.Body)
	}
	// An event without a HubSpot connection says so.
	mapSeedEvent(t, e, "devcon27")
	r = e.do("GET", "/api/organizers/acme/events/devcon27/hubspot/properties/contacts", nil, nil)
	if r.Status < 400 || !strings.Contains(string(r.Body), "not connected to HubSpot") {
		t.Errorf("unconnected event: %d %s", r.Status, r.Body)
	}
}

type apiRow struct {
	PretixField string            `json:"pretix_field"`
	Property    string            `json:"property"`
	Mode        string            `json:"mode"`
	ValueMap    map[string]string `json:"value_map,omitempty"`
}

func table(specs ...string) []apiRow {
	out := make([]apiRow, len(specs))
	for i, s := range specs {
		fp, mode, _ := strings.Cut(s, ":")
		f, p, _ := strings.Cut(fp, ">")
		out[i] = apiRow{PretixField: f, Property: p, Mode: mode}
	}
	return out
}

func createMapping(t *testing.T, e *testEnv, base, src, tgt string) int64 {
	t.Helper()
	m := data(t, e.do("POST", base+"/mappings", map[string]string{"source_type": src, "target_type": tgt}, nil), 201)
	return int64(m["id"].(float64))
}

// TestMappingValidationAPI drives every refusal rule through the router:
// the error names the row and column, and nothing is saved.
func TestMappingValidationAPI(t *testing.T) {
	e := mapSetup(t)
	contact := createMapping(t, e, mapBase, "Order", "contacts")
	deal := createMapping(t, e, mapBase, "Order", "deals")
	cases := []struct {
		name  string
		id    int64
		src   string
		rows  []apiRow
		code  string
		field string
		text  string
	}{
		{"unknown pretix field", contact, "Order", table("email>email", "question_GONE>city:overwrite"), "mapping_invalid", "rows.1.pretix_field", "does not exist"},
		{"attendee field on an Order mapping", contact, "Order", table("email>email", "attendee_company>company:overwrite"), "mapping_invalid", "rows.1.pretix_field", "Order position mapping"},
		{"unknown HubSpot property", contact, "Order", table("email>email", "invoice_address_city>town:overwrite"), "mapping_invalid", "rows.1.property", "no contact property"},
		{"read-only property", contact, "Order", table("email>email", "order_date>lastmodifieddate:overwrite"), "mapping_invalid", "rows.1.property", "read-only"},
		{"calculated property", contact, "Order", table("email>email", "order_date>hs_lifecyclestage_customer_date:overwrite"), "mapping_invalid", "rows.1.property", "calculated"},
		{"bad mode", contact, "Order", table("email>email", "invoice_address_city>city:always"), "mapping_invalid", "rows.1.mode", "Choose a mode"},
		{"contact identifier not unique", contact, "Order", table("email>lastname"), "identifier_not_unique", "rows.0.property", "identified by Email"},
		{"deal identifier not unique", deal, "Order", table("order_code>dealname"), "identifier_not_unique", "rows.0.unique_property", "pretix_order_id"},
		{"bad pretix object type", contact, "Orders", table("email>email"), "source_type_invalid", "source_type", "Order"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", fmt.Sprintf("%s/mappings/%d", mapBase, tc.id), map[string]any{"source_type": tc.src, "rows": tc.rows}, nil)
			code, f := errorOf(t, r)
			if r.Status != 400 || code != tc.code {
				t.Fatalf("%d %s, want 400 %s", r.Status, r.Body, tc.code)
			}
			if msg, _ := f[tc.field].(string); !strings.Contains(msg, tc.text) {
				t.Errorf("fields[%s] = %q, want %q (%v)", tc.field, msg, tc.text, f)
			}
		})
	}
	got := data(t, e.do("GET", fmt.Sprintf("%s/mappings/%d", mapBase, contact), nil, nil), 200)
	if n := len(got["rows"].([]any)); n != 1 {
		t.Errorf("refused saves stored %d rows", n)
	}

	// Create unique property, then the deal saves.
	p := data(t, e.do("POST", mapBase+"/hubspot/properties/deals/unique", map[string]string{"name": "pretix_order_id", "label": "pretix order ID"}, nil), 201)
	if p["unique"] != true || p["picker_label"] != "pretix order ID (pretix_order_id | string)" {
		t.Errorf("created property: %v", p)
	}
	saved := data(t, e.do("PUT", fmt.Sprintf("%s/mappings/%d", mapBase, deal), map[string]any{"source_type": "Order",
		"rows": table("order_code>pretix_order_id", "order_total>amount:overwrite"), "associate_with": []int64{contact}}, nil), 200)
	if len(saved["errors"].(map[string]any)) != 0 || saved["id_property"] != "pretix_order_id" {
		t.Errorf("saved deal: %v", saved)
	}
	r := e.do("POST", mapBase+"/hubspot/properties/deals/unique", map[string]string{"name": "Bad Name"}, nil)
	if code, f := errorOf(t, r); r.Status != 400 || code != "hubspot_property_name_invalid" || f["name"] == nil {
		t.Errorf("bad property name: %d %s", r.Status, r.Body)
	}
}

func TestMappingEditorFlowAPI(t *testing.T) {
	e := mapSetup(t)
	s := data(t, e.do("GET", mapBase+"/mappings/suggestion", nil, nil), 200)
	if s["available"] != true || len(s["rows"].([]any)) != 8 {
		t.Fatalf("suggestion: %v", s)
	}
	contact := data(t, e.do("POST", mapBase+"/mappings/suggestion", nil, nil), 201)
	cid := int64(contact["id"].(float64))
	if s := data(t, e.do("GET", mapBase+"/mappings/suggestion", nil, nil), 200); s["available"] != false {
		t.Error("suggested again after accepting")
	}

	// Save the table with an incompatible row and a choice row: saved, with ⚠.
	rows := table("email>email", "invoice_address_name_given_name>firstname:overwrite", "order_total>hs_email_optout:if_empty", "order_locale>hs_language:if_empty")
	saved := data(t, e.do("PUT", fmt.Sprintf("%s/mappings/%d", mapBase, cid), map[string]any{"source_type": "Order", "rows": rows}, nil), 200)
	check := func(what string, m map[string]any) {
		t.Helper()
		rs := m["rows"].([]any)
		if len(rs) != 4 {
			t.Fatalf("%s: %d rows", what, len(rs))
		}
		if w, _ := rs[2].(map[string]any)["warning"].(string); !strings.Contains(w, "true or false") {
			t.Errorf("%s: incompatible row warning %q", what, w)
		}
		if w, _ := rs[1].(map[string]any)["warning"].(string); w != "" {
			t.Errorf("%s: compatible row warns %q", what, w)
		}
	}
	check("saved", saved)
	check("reloaded", data(t, e.do("GET", fmt.Sprintf("%s/mappings/%d", mapBase, cid), nil, nil), 200))
	// The editor checks unsaved tables the same way.
	check("checked", data(t, e.do("POST", fmt.Sprintf("%s/mappings/%d/check", mapBase, cid), map[string]any{"source_type": "Order", "rows": rows}, nil), 200))
	unsaved := append(table("email>email", "invoice_address_city>town:overwrite"), rows[2:]...)
	checked := data(t, e.do("POST", fmt.Sprintf("%s/mappings/%d/check", mapBase, cid), map[string]any{"source_type": "Order", "rows": unsaved}, nil), 200)
	if errs := checked["errors"].(map[string]any); errs["rows.1.property"] == nil {
		t.Errorf("check reports refusals as errors: %v", errs)
	}

	vm := data(t, e.do("POST", mapBase+"/mappings/value-map", map[string]any{"source_type": "Order", "target_type": "contacts",
		"pretix_field": "order_locale", "property": "hs_language"}, nil), 200)
	entries := vm["entries"].([]any)
	if len(entries) != 2 || entries[0].(map[string]any)["hubspot_value"] == "" {
		t.Errorf("value map dialog: %v", vm)
	}

	// A deal and a company: default associations, reorder, delete.
	deal := createMapping(t, e, mapBase, "Order", "deals")
	company := createMapping(t, e, mapBase, "Order", "companies")
	list := dataList(t, e.do("PUT", mapBase+"/mappings/order", map[string]any{"ids": []int64{company, cid, deal}}, nil))
	var order []int64
	for _, m := range list {
		order = append(order, int64(m.(map[string]any)["id"].(float64)))
	}
	if fmt.Sprint(order) != fmt.Sprint([]int64{company, cid, deal}) {
		t.Errorf("order %v", order)
	}
	if r := e.do("PUT", mapBase+"/mappings/order", map[string]any{"ids": []int64{cid}}, nil); r.Status != 400 {
		t.Errorf("incomplete order: %d", r.Status)
	}
	if r := e.do("DELETE", fmt.Sprintf("%s/mappings/%d", mapBase, company), nil, nil); r.Status != 204 {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{fmt.Sprintf("/mappings/%d", company), "/mappings/abc", "/mappings/999999"} {
		if r := e.do("GET", mapBase+path, nil, nil); r.Status != 404 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
	if n := len(dataList(t, e.do("GET", mapBase+"/mappings", nil, nil))); n != 2 {
		t.Errorf("%d mappings after delete", n)
	}
	// Mappings are private to their event.
	if r := e.do("GET", fmt.Sprintf("%s/mappings/%d", mapOther, cid), nil, nil); r.Status != 404 {
		t.Errorf("other event's mapping: %d", r.Status)
	}
}

func TestMappingExportImportAPI(t *testing.T) {
	e := mapSetup(t)
	data(t, e.do("POST", mapBase+"/mappings/suggestion", nil, nil), 201)
	createMapping(t, e, mapBase, "OrderPosition", "contacts")

	r := e.do("GET", mapBase+"/mappings/export?download=1", nil, nil)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), `devcon25-hubspot-mappings.json`) {
		t.Fatalf("download: %d %v", r.Status, r.Header)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc["mappings"].([]any)) != 2 {
		t.Fatalf("export: %s", r.Body)
	}

	list := dataList(t, e.do("POST", mapOther+"/mappings/import", map[string]any{"data": doc}, nil))
	if len(list) != 2 || len(list[0].(map[string]any)["rows"].([]any)) != 8 {
		t.Errorf("imported: %v", list)
	}
	r = e.do("POST", mapOther+"/mappings/import", map[string]any{"data": doc}, nil)
	if code, _ := errorOf(t, r); r.Status != 409 || code != "mappings_exist" {
		t.Errorf("import over existing: %d %s", r.Status, r.Body)
	}
	// A document naming a property the portal lacks is refused with the reason.
	bad := data(t, e.do("GET", mapBase+"/mappings/export", nil, nil), 200)
	m0 := bad["mappings"].([]any)[0].(map[string]any)
	m0["rows"].([]any)[3].(map[string]any)["property"] = "no_such_property"
	r = e.do("POST", mapOther+"/mappings/import", map[string]any{"data": bad, "replace": true}, nil)
	if code, f := errorOf(t, r); r.Status != 400 || code != "import_invalid" || f["mappings.0.rows.3.property"] == nil || !strings.Contains(string(r.Body), "row 4") {
		t.Errorf("import of an unknown property: %d %s", r.Status, r.Body)
	}
	for _, body := range []any{map[string]any{"data": map[string]any{"format": "something else"}}, map[string]any{"data": "text"}} {
		if r := e.do("POST", mapOther+"/mappings/import", body, nil); r.Status != 400 {
			t.Errorf("bad document %v: %d %s", body, r.Status, r.Body)
		}
	}

	sources := dataList(t, e.do("GET", mapOther+"/mappings/copy-sources", nil, nil))
	if len(sources) != 1 || sources[0].(map[string]any)["slug"] != "devcon25" {
		t.Fatalf("copy sources: %v", sources)
	}
	from := sources[0].(map[string]any)["event_id"]
	if r := e.do("POST", mapOther+"/mappings/copy", map[string]any{"from_event_id": from}, nil); r.Status != 409 {
		t.Errorf("copy without replace: %d", r.Status)
	}
	if l := dataList(t, e.do("POST", mapOther+"/mappings/copy", map[string]any{"from_event_id": from, "replace": true}, nil)); len(l) != 2 {
		t.Errorf("copied %d mappings", len(l))
	}
}

func TestMappingPreviewAPI(t *testing.T) {
	e := mapSetup(t)
	var raw map[string]any
	if err := json.Unmarshal([]byte(mapFixture(t, "orders", "Q7XK9_paid_addon.json")), &raw); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(raw)
	now := time.Now().UTC()
	var evID int64
	e.db.Model(&models.PretixEvent{}).Where("slug = ?", "devcon25").Pluck("id", &evID)
	if err := e.db.Create(&models.PretixOrder{OrganizerID: 7, EventID: evID, EventSlug: "devcon25", Code: "Q7XK9", Status: "p",
		Email: "zoe@example.org", DisplayName: "Zoë Ångström", SearchText: "q7xk9 zoe@example.org", Datetime: now, LastModified: now,
		RawJSON: string(b), FirstSeenAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	m := data(t, e.do("POST", mapBase+"/mappings/suggestion", nil, nil), 201)
	id := int64(m["id"].(float64))
	orders := dataList(t, e.do("GET", mapBase+"/mappings/preview-orders?q=zoe", nil, nil))
	if len(orders) != 1 || orders[0].(map[string]any)["code"] != "Q7XK9" {
		t.Fatalf("order picker: %v", orders)
	}
	p := data(t, e.do("POST", fmt.Sprintf("%s/mappings/%d/preview", mapBase, id), map[string]string{"order_code": "Q7XK9"}, nil), 200)
	rows := p["objects"].([]any)[0].(map[string]any)["rows"].([]any)
	want := map[string][2]string{ // property → pretix value, value sent
		"email":                  {"zoe.angstrom@analytical.example", "zoe.angstrom@analytical.example"},
		"firstname":              {"Zoë", "Zoë"},
		"hs_country_region_code": {"DE", "DE"},
		"city":                   {"Berlin", "Berlin"},
	}
	for _, r := range rows {
		r := r.(map[string]any)
		if w, ok := want[r["property"].(string)]; ok {
			if r["pretix_value"] != w[0] || r["sent"] != w[1] {
				t.Errorf("%s: %v → %v, want %v", r["property"], r["pretix_value"], r["sent"], w)
			}
			delete(want, r["property"].(string))
		}
	}
	if len(want) != 0 {
		t.Errorf("rows missing from the preview: %v", want)
	}
	r := e.do("POST", fmt.Sprintf("%s/mappings/%d/preview", mapBase, id), map[string]string{"order_code": "NOPE0"}, nil)
	if _, f := errorOf(t, r); r.Status != 404 || f["order_code"] == nil {
		t.Errorf("unknown order: %d %s", r.Status, r.Body)
	}
}

func TestMappingsNeedSessionAndCSRF(t *testing.T) {
	e := mapSetup(t)
	csrf := e.csrf
	e.csrf = ""
	if r := e.do("POST", mapBase+"/mappings", map[string]string{"source_type": "Order", "target_type": "contacts"}, nil); r.Status != 403 {
		t.Errorf("POST without CSRF token: %d", r.Status)
	}
	e.csrf = csrf
	if r := e.do("POST", "/api/logout", nil, nil); r.Status != 200 && r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	for _, path := range []string{"/mappings", "/catalogue", "/hubspot/properties/contacts", "/mappings/export"} {
		if r := e.do("GET", mapBase+path, nil, nil); r.Status != 401 {
			t.Errorf("GET %s signed out: %d", path, r.Status)
		}
	}
}
