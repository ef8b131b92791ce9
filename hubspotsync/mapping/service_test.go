package mapping

import (
	"reflect"
	"strings"
	"testing"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
)

func TestCatalogueByObjectType(t *testing.T) {
	h := newHarness(t)
	order, err := h.svc.Catalogue(h.ctx, h.event, fields.ObjectOrder)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := h.svc.Catalogue(h.ctx, h.event, fields.ObjectPosition)
	if err != nil {
		t.Fatal(err)
	}
	has := func(c *Catalogue, key string) bool {
		for _, g := range c.Groups {
			for _, f := range g.Fields {
				if f.Key == key {
					return string(f.Category) == g.Category
				}
			}
		}
		return false
	}
	seen := map[string]bool{}
	for _, g := range pos.Groups {
		if seen[g.Category] || g.Label == "" || len(g.Fields) == 0 {
			t.Errorf("group %+v: each category once, labelled, not empty", g.Category)
		}
		seen[g.Category] = true
	}
	if pos.Groups[0].Label != "Order position details" {
		t.Errorf("first group %q", pos.Groups[0].Label)
	}
	for _, tc := range []struct {
		key        string
		inOrder    bool
		inPosition bool
	}{
		{"email", true, true},
		{"invoice_address_name_given_name", true, true},
		{"attendee_email", false, true},
		{"question_DIET", false, true},
		{"ticket_id", false, true},
	} {
		if has(order, tc.key) != tc.inOrder || has(pos, tc.key) != tc.inPosition {
			t.Errorf("%s: in Order %v (want %v), in OrderPosition %v (want %v)", tc.key, has(order, tc.key), tc.inOrder, has(pos, tc.key), tc.inPosition)
		}
	}
	if _, err := h.svc.Catalogue(h.ctx, h.event, "Invoice"); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("unknown object type: %v", err)
	}
}

func TestPropertiesForPicker(t *testing.T) {
	h := newHarness(t)
	list, err := h.svc.Properties(h.ctx, h.event, "contacts", false)
	if err != nil {
		t.Fatal(err)
	}
	if !list.CanCreateProperties || list.HubID != hubFull {
		t.Errorf("can create %v hub %d", list.CanCreateProperties, list.HubID)
	}
	byName := map[string]Property{}
	for _, p := range list.Properties {
		byName[p.Name] = p
	}
	if p := byName["email"]; !p.Unique || !p.Writable || p.PickerLabel != "Email (email | string)" {
		t.Errorf("email: %+v", p)
	}
	if p := byName["createdate"]; p.Writable {
		t.Errorf("createdate must be read-only: %+v", p)
	}
	if p := byName["num_associated_deals"]; p.Writable || !p.Calculated {
		t.Errorf("calculated property: %+v", p)
	}
	if p := byName["hs_buying_role"]; !p.MultiSelect || len(p.Options) == 0 {
		t.Errorf("multi-checkbox: %+v", p)
	}

	other, err := h.svc.Properties(h.ctx, h.other, "deals", false)
	if err != nil {
		t.Fatal(err)
	}
	if other.CanCreateProperties {
		t.Error("a token without crm.schemas.deals.write may not create properties")
	}
	// A property created in HubSpot appears after a refresh.
	if err := h.fake.AddProperty(hubNoWrite, "deals", hubspotfake.Property{Name: "ticket_ref", Label: "Ticket ref", Type: "string", FieldType: "text", GroupName: "dealinformation"}); err != nil {
		t.Fatal(err)
	}
	refreshed, err := h.svc.Properties(h.ctx, h.other, "deals", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(refreshed.Properties) != len(other.Properties)+1 {
		t.Errorf("refresh: %d properties, want %d", len(refreshed.Properties), len(other.Properties)+1)
	}
	if _, err := h.svc.Properties(h.ctx, h.event, "tickets", false); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("unknown object type: %v", err)
	}
}

func TestCreateDefaultsAndAssociations(t *testing.T) {
	h := newHarness(t)
	contact := h.mustCreate(h.event, "Order", "contacts")
	if contact.IDField != "email" || contact.IDProperty != "email" || len(contact.Rows) != 1 || contact.Rows[0].Mode != ModeIdentifier {
		t.Errorf("contact defaults: %+v", contact)
	}
	if len(contact.Errors) != 0 {
		t.Errorf("a fresh contact mapping is valid: %v", contact.Errors)
	}
	deal := h.mustCreate(h.event, "Order", "deals")
	if deal.IDField != "order_code" || deal.IDProperty != "pretix_order_id" {
		t.Errorf("deal defaults: %+v", deal)
	}
	if !reflect.DeepEqual(deal.AssociateWith, []int64{contact.ID}) {
		t.Errorf("deal associates with %v, want the contact", deal.AssociateWith)
	}
	// The property does not exist yet: the editor offers to create it.
	if deal.Errors[UniquePropertyKey] != "pretix_order_id" || !strings.Contains(deal.Errors["rows.0.property"], "Create unique property") {
		t.Errorf("deal errors: %v", deal.Errors)
	}
	company := h.mustCreate(h.event, "Order", "companies")
	if !reflect.DeepEqual(company.AssociateWith, []int64{contact.ID, deal.ID}) {
		t.Errorf("company associates with %v", company.AssociateWith)
	}
	attendee := h.mustCreate(h.event, "OrderPosition", "contacts")
	if attendee.IDField != "attendee_email" || !reflect.DeepEqual(attendee.AssociateWith, []int64{deal.ID, company.ID}) {
		t.Errorf("attendee mapping: %+v", attendee)
	}
	list, err := h.svc.List(h.ctx, h.event)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[0].ID != contact.ID || list[3].ID != attendee.ID || list[3].Position != 3 {
		t.Errorf("list order: %+v", list)
	}
	if list[0].IDFieldLabel != "Order email" || list[0].IDPropertyLabel != "Email" || list[0].TargetLabel != "Contacts" || list[3].SourceLabel != "Order position" {
		t.Errorf("labels: %+v", list[0])
	}

	// Without the schema write scope the editor explains the manual way.
	d2 := h.mustCreate(h.other, "Order", "deals")
	if _, offered := d2.Errors[UniquePropertyKey]; offered || !strings.Contains(d2.Errors["rows.0.property"], `Require unique values for this property`) {
		t.Errorf("no-write deal errors: %v", d2.Errors)
	}

	for _, in := range []CreateInput{{SourceType: "Invoice", TargetType: "contacts"}, {SourceType: "Order", TargetType: "tickets"}} {
		_, err := h.svc.Create(h.ctx, h.event, in)
		if ae := appErr(t, err); ae.Kind != apperr.KindInvalid || len(ae.Fields) != 1 {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

// rows builds an identifier row and property rows from triples
// "field>property:mode".
func rows(spec ...string) []RowInput {
	out := make([]RowInput, 0, len(spec))
	for i, s := range spec {
		fp, mode, _ := strings.Cut(s, ":")
		f, p, _ := strings.Cut(fp, ">")
		if i == 0 {
			mode = ModeIdentifier
		}
		out = append(out, RowInput{PretixField: f, Property: p, Mode: mode})
	}
	return out
}

func TestValidationRules(t *testing.T) {
	h := newHarness(t)
	contact := h.mustCreate(h.event, "Order", "contacts")
	deal := h.mustCreate(h.event, "Order", "deals")
	company := h.mustCreate(h.event, "Order", "companies")
	otherDeal := h.mustCreate(h.other, "Order", "deals")
	attendee := h.mustCreate(h.event, "OrderPosition", "contacts")

	cases := []struct {
		name    string
		event   int64
		id      int64
		src     string
		rows    []RowInput
		assoc   []int64
		code    string
		key     string
		message string // substring of Fields[key]
	}{
		{"valid", h.event, contact.ID, "Order", rows("email>email", "invoice_address_city>city:overwrite"), nil, "", "", ""},
		{"unknown pretix field", h.event, contact.ID, "Order", rows("email>email", "question_NOPE>city:overwrite"), nil,
			CodeMappingInvalid, "rows.1.pretix_field", "does not exist in this event"},
		{"attendee field on an order mapping", h.event, contact.ID, "Order", rows("email>email", "attendee_email>city:overwrite"), nil,
			CodeMappingInvalid, "rows.1.pretix_field", "only works in an Order position mapping"},
		{"attendee identifier on an order mapping", h.event, contact.ID, "Order", rows("attendee_email>email"), nil,
			CodeMappingInvalid, "rows.0.pretix_field", "Order position mapping"},
		{"no pretix field", h.event, contact.ID, "Order", rows("email>email", ">city:overwrite"), nil,
			CodeMappingInvalid, "rows.1.pretix_field", "Choose a pretix field"},
		{"no property", h.event, contact.ID, "Order", rows("email>email", "invoice_address_city>:overwrite"), nil,
			CodeMappingInvalid, "rows.1.property", "Choose a HubSpot property"},
		{"unknown property", h.event, contact.ID, "Order", rows("email>email", "invoice_address_city>town:overwrite"), nil,
			CodeMappingInvalid, "rows.1.property", `HubSpot has no contact property "town"`},
		{"read-only property", h.event, contact.ID, "Order", rows("email>email", "order_date>createdate:overwrite"), nil,
			CodeMappingInvalid, "rows.1.property", "read-only"},
		{"calculated property", h.event, contact.ID, "Order", rows("email>email", "order_total>num_associated_deals:overwrite"), nil,
			CodeMappingInvalid, "rows.1.property", "calculated by HubSpot"},
		{"unknown mode", h.event, contact.ID, "Order", rows("email>email", "invoice_address_city>city:sometimes"), nil,
			CodeMappingInvalid, "rows.1.mode", "Choose a mode"},
		{"contact identifier not unique", h.event, contact.ID, "Order", rows("email>firstname"), nil,
			CodeIdentifierNotUnique, "rows.0.property", "Contacts are identified by Email"},
		{"deal identifier not unique, may create", h.event, deal.ID, "Order", rows("order_code>dealname"), nil,
			CodeIdentifierNotUnique, UniquePropertyKey, "pretix_order_id"},
		{"deal identifier not unique, may not create", h.other, otherDeal.ID, "Order", rows("order_code>dealname"), nil,
			CodeIdentifierNotUnique, "rows.0.property", "Settings → Properties → Deal properties"},
		{"company identifier missing, suggested name kept", h.event, company.ID, "Order", rows("invoice_address_company>pretix_company"), nil,
			CodeIdentifierNotUnique, UniquePropertyKey, "pretix_company"},
		{"association to a later mapping", h.event, deal.ID, "Order", rows("order_code>hs_object_id"), []int64{company.ID},
			CodeMappingInvalid, "associate_with", "mappings above it"},
		{"association between two contact mappings", h.event, attendee.ID, "OrderPosition", rows("attendee_email>email"), []int64{contact.ID},
			CodeMappingInvalid, "associate_with", "no default association between two contacts"},
		{"identifier row missing", h.event, contact.ID, "Order", nil, nil, CodeMappingInvalid, "rows", "identifier row"},
		{"source type", h.event, contact.ID, "Invoice", rows("email>email"), nil, "source_type_invalid", "source_type", "Order"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := h.svc.Update(h.ctx, tc.event, tc.id, UpdateInput{SourceType: tc.src, Rows: tc.rows, AssociateWith: tc.assoc})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(m.Rows) != len(tc.rows) {
					t.Errorf("saved %d rows", len(m.Rows))
				}
				return
			}
			ae := appErr(t, err)
			if ae.Kind != apperr.KindInvalid || ae.Code != tc.code {
				t.Fatalf("kind %s code %s, want invalid %s (%v)", ae.Kind, ae.Code, tc.code, ae)
			}
			if !strings.Contains(ae.Fields[tc.key], tc.message) {
				t.Errorf("Fields[%q] = %q, want it to contain %q (all: %v)", tc.key, ae.Fields[tc.key], tc.message, ae.Fields)
			}
		})
	}
	// Refused saves changed nothing.
	got, err := h.svc.Get(h.ctx, h.event, contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 2 || got.Rows[1].Property != "city" {
		t.Errorf("after refused saves: %+v", got.Rows)
	}
}

func TestUpdateSavesTableAndWarnings(t *testing.T) {
	h := newHarness(t)
	h.addProperty(hubFull, hubspot.Contacts, hubspotfake.Property{Name: "tshirt", Label: "T-shirt", Type: "enumeration", FieldType: "select",
		GroupName: "contactinformation", Options: []hubspotfake.Option{{Label: "S", Value: "small"}, {Label: "M", Value: "medium"}, {Label: "XL", Value: "xl"}}})
	// 12 orders, 9 without a company: the company is "often empty".
	for i := 0; i < 12; i++ {
		company := ""
		if i%4 == 0 {
			company = "ACME"
		}
		h.addOrder(h.event, order(string(rune('A'+i))+"0001", "buyer@example.org", company, i))
	}
	m := h.mustCreate(h.event, "OrderPosition", "contacts")
	in := UpdateInput{SourceType: "OrderPosition", Rows: []RowInput{
		{PretixField: "attendee_email", Property: "email"},
		{PretixField: "invoice_address_company", Property: "company", Mode: "overwrite"},
		{PretixField: "invoice_address_city", Property: "city", Mode: "overwrite"},
		{PretixField: "invoice_address_company", Property: "jobtitle", Mode: "if_empty"},
		{PretixField: "order_date", Property: "firstname", Mode: "if_new"},
		{PretixField: "question_TSHIRT", Property: "tshirt", Mode: "overwrite", ValueMap: map[string]string{"SIZE-S": "small", "SIZE-M": "huge", "NOT-AN-OPTION": "x"}},
		{PretixField: "order_locale", Property: "hs_language", Mode: "append"},
		{PretixField: "question_DIET", Property: "hs_buying_role", Mode: "append"},
	}}
	saved, err := h.svc.Update(h.ctx, h.event, m.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		row        int
		text, hint string // "" = no warning, no hint
	}{
		{0, "", ""},
		// Advice about a row that works is a hint, not a ⚠.
		{1, "", "Empty pretix values clear the HubSpot field: 75 % of the recent tickets"},
		{2, "", ""},
		{3, "", ""}, // Fill if empty keeps what HubSpot has
		{4, "written as text", ""},
		{5, `No HubSpot value is chosen for “L” (SIZE-L)`, ""},
		{5, "does not have: huge", ""},
		{6, "Add to list only works", ""},
		{7, `No HubSpot value is chosen for “Vegetarian” (VEG), “Vegan” (VEGAN), “Gluten-free” (GF)`, ""},
	}
	check := func(what string, m *Mapping) {
		t.Helper()
		for _, w := range want {
			got := m.Rows[w.row].Warning
			if (w.text == "") != (got == "") || !strings.Contains(got, w.text) {
				t.Errorf("%s: row %d warning %q, want %q", what, w.row, got, w.text)
			}
			if hint := m.Rows[w.row].Hint; (w.hint == "") != (hint == "") || !strings.Contains(hint, w.hint) {
				t.Errorf("%s: row %d hint %q, want %q", what, w.row, hint, w.hint)
			}
		}
	}
	check("saved", saved)
	if !reflect.DeepEqual(saved.Rows[5].ValueMap, map[string]string{"SIZE-S": "small", "SIZE-M": "huge"}) {
		t.Errorf("value map keeps only the field's options: %v", saved.Rows[5].ValueMap)
	}
	got, err := h.svc.Get(h.ctx, h.event, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("reloaded", got)
	for i, r := range got.Rows {
		if i > 0 && (r.PretixField != in.Rows[i].PretixField || r.Property != in.Rows[i].Property || r.Mode != in.Rows[i].Mode) {
			t.Errorf("row %d reloaded as %+v", i, r)
		}
	}
	if got.Rows[0].Mode != ModeIdentifier || got.IDField != "attendee_email" {
		t.Errorf("identifier: %+v", got.Rows[0])
	}

	// A complete value map silences the option warning.
	in.Rows[5].ValueMap = map[string]string{"SIZE-S": "small", "SIZE-M": "medium", "SIZE-L": "xl"}
	saved, err = h.svc.Update(h.ctx, h.event, m.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if w := saved.Rows[5].Warning; strings.Contains(w, "No HubSpot value") || strings.Contains(w, "does not have") {
		t.Errorf("complete value map still warns: %q", w)
	}
}

func TestPrefillValueMap(t *testing.T) {
	f := fields.Field{Type: fields.TypeChoice, Options: []fields.Option{
		{Value: "SIZE-S", Label: "S"}, {Value: "VEGAN", Label: "Plant-based"}, {Value: "VEG", Label: "Vegetarian"},
		{Value: "de", Label: "German"}, {Value: "X", Label: "Nothing like it"}, {Value: "KEEP", Label: "Kept"},
	}}
	p := hubspot.Property{Type: "enumeration", Options: []hubspot.Option{
		{Label: "Small", Value: "s"}, {Label: "Vegan", Value: "vegan"}, {Label: " vegetarian ", Value: "VEGETARIAN"},
		{Label: "Deutsch", Value: "DE"}, {Label: "Hidden", Value: "x", Hidden: true}, {Label: "Kept", Value: "kept"},
	}}
	got := PrefillValueMap(f, p, map[string]string{"KEEP": "custom"})
	want := map[string]string{
		"SIZE-S": "s",          // label "S" = value "s"
		"VEGAN":  "vegan",      // identifier = value
		"VEG":    "VEGETARIAN", // label = label, spaces and case ignored
		"de":     "DE",         // identifier = value, case ignored
		"KEEP":   "custom",     // existing entries win
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("prefill = %v, want %v", got, want)
	}
}

func TestValueMapDialog(t *testing.T) {
	h := newHarness(t)
	d, err := h.svc.ValueMap(h.ctx, h.event, ValueMapInput{SourceType: "Order", TargetType: "contacts", PretixField: "order_locale",
		Property: "hs_language", ValueMap: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if d.FreeText || len(d.Options) == 0 || len(d.Entries) != 2 {
		t.Fatalf("dialog: %+v", d)
	}
	for _, e := range d.Entries {
		if e.HubSpotValue != e.PretixValue || !e.Prefilled {
			t.Errorf("entry %+v: want the language code pre-filled", e)
		}
	}
	_, err = h.svc.ValueMap(h.ctx, h.event, ValueMapInput{SourceType: "Order", TargetType: "contacts", PretixField: "email", Property: "email"})
	if ae := appErr(t, err); ae.Code != "value_map_not_applicable" {
		t.Errorf("text field: %v", err)
	}
}

func TestSuggestion(t *testing.T) {
	h := newHarness(t)
	s, err := h.svc.Suggest(h.ctx, h.event)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []string{"email>email", "invoice_address_name_given_name>firstname", "invoice_address_name_family_name>lastname",
		"invoice_address_street>address", "invoice_address_zipcode>zip", "invoice_address_city>city",
		"invoice_address_country>hs_country_region_code", "invoice_address_company>company"}
	if !s.Available || len(s.Rows) != len(wantRows) || s.Rows[0].ModeLabel != "Identifier" || s.Rows[1].ModeLabel != "Overwrite" {
		t.Fatalf("suggestion: %+v", s)
	}
	for i, r := range s.Rows {
		if r.PretixField+">"+r.Property != wantRows[i] {
			t.Errorf("row %d: %s>%s, want %s", i, r.PretixField, r.Property, wantRows[i])
		}
	}
	if s.Rows[6].PropertyLabel != "Country/Region Code" || s.Rows[1].PretixLabel != "Invoice address: First name" {
		t.Errorf("labels: %+v %+v", s.Rows[6], s.Rows[1])
	}
	m, err := h.svc.AcceptSuggestion(h.ctx, h.event)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 8 || len(m.Errors) != 0 || m.SourceType != "Order" || m.TargetType != "contacts" {
		t.Errorf("accepted: %+v", m)
	}
	for i := 1; i < 8; i++ {
		if m.Rows[i].Mode != "overwrite" {
			t.Errorf("row %d mode %s", i, m.Rows[i].Mode)
		}
	}
	if s, _ := h.svc.Suggest(h.ctx, h.event); s.Available {
		t.Error("offered although the event has mappings")
	}
	if _, err := h.svc.AcceptSuggestion(h.ctx, h.event); appErr(t, err).Kind != apperr.KindConflict {
		t.Errorf("second accept: %v", err)
	}
	// An event without HubSpot gets no suggestion.
	unlinked := h.addEvent("devcon27")
	if s, err := h.svc.Suggest(h.ctx, unlinked); err != nil || s.Available {
		t.Errorf("unlinked event: %+v, %v", s, err)
	}
}

func TestReorderKeepsAssociationsAndDelete(t *testing.T) {
	h := newHarness(t)
	a := h.mustCreate(h.event, "Order", "contacts")
	b := h.mustCreate(h.event, "Order", "deals")     // associates with a
	c := h.mustCreate(h.event, "Order", "companies") // associates with a and b
	list, err := h.svc.Reorder(h.ctx, h.event, []int64{c.ID, a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64][]int64{}
	for i, m := range list {
		if m.Position != i {
			t.Errorf("%d at position %d", m.ID, m.Position)
		}
		got[m.ID] = m.AssociateWith
	}
	want := map[int64][]int64{c.ID: {}, a.ID: {c.ID}, b.ID: {c.ID, a.ID}}
	if !reflect.DeepEqual(got, want) || list[0].ID != c.ID {
		t.Errorf("after reorder: %v, want %v", got, want)
	}
	for _, ids := range [][]int64{{a.ID, b.ID}, {a.ID, a.ID, b.ID}, {a.ID, b.ID, 999}} {
		if _, err := h.svc.Reorder(h.ctx, h.event, ids); appErr(t, err).Code != "mapping_order_invalid" {
			t.Errorf("reorder %v: %v", ids, err)
		}
	}
	if err := h.svc.Delete(h.ctx, h.event, a.ID); err != nil {
		t.Fatal(err)
	}
	list, err = h.svc.List(h.ctx, h.event)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[1].ID != b.ID || list[1].Position != 1 || !reflect.DeepEqual(list[1].AssociateWith, []int64{c.ID}) {
		t.Errorf("after delete: %+v", list)
	}
	if err := h.svc.Delete(h.ctx, h.event, a.ID); appErr(t, err).Kind != apperr.KindNotFound {
		t.Errorf("second delete: %v", err)
	}
	// Mappings of another event are not reachable through this one.
	o := h.mustCreate(h.other, "Order", "contacts")
	if _, err := h.svc.Get(h.ctx, h.event, o.ID); appErr(t, err).Kind != apperr.KindNotFound {
		t.Errorf("cross-event get: %v", err)
	}
}

func TestCreateUniqueProperty(t *testing.T) {
	h := newHarness(t)
	deal := h.mustCreate(h.event, "Order", "deals")
	p, err := h.svc.CreateUniqueProperty(h.ctx, h.event, "deals", "pretix_order_id", "pretix order ID")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Unique || p.Type != "string" || p.FieldType != "text" {
		t.Errorf("created: %+v", p)
	}
	m, err := h.svc.Update(h.ctx, h.event, deal.ID, UpdateInput{SourceType: "Order", Rows: rows("order_code>pretix_order_id", "order_total>amount:overwrite")})
	if err != nil {
		t.Fatalf("save after creating the property: %v", err)
	}
	if len(m.Errors) != 0 || m.IDPropertyLabel != "pretix order ID" {
		t.Errorf("saved: %+v", m)
	}
	// Running it again finds the property.
	if _, err := h.svc.CreateUniqueProperty(h.ctx, h.event, "deals", "pretix_order_id", ""); err != nil {
		t.Errorf("again: %v", err)
	}
	// An existing property without unique values cannot be made unique.
	_, err = h.svc.CreateUniqueProperty(h.ctx, h.event, "deals", "dealname", "")
	if ae := appErr(t, err); ae.Code != "property_exists_not_unique" {
		t.Errorf("existing non-unique: %v", err)
	}
	_, err = h.svc.CreateUniqueProperty(h.ctx, h.other, "deals", "pretix_order_id", "")
	if ae := appErr(t, err); ae.Kind != apperr.KindForbidden || !strings.Contains(ae.Message, "Require unique values for this property") {
		t.Errorf("without the scope: %v", err)
	}
}

func TestExportImportCopy(t *testing.T) {
	h := newHarness(t)
	h.addProperty(hubFull, hubspot.Deals, hubspotfake.Property{Name: "pretix_order_id", Label: "pretix order ID", Type: "string", FieldType: "text", HasUniqueValue: true, GroupName: "dealinformation"})
	contact := h.mustCreate(h.event, "Order", "contacts")
	if _, err := h.svc.Update(h.ctx, h.event, contact.ID, UpdateInput{SourceType: "Order", Rows: []RowInput{
		{PretixField: "email", Property: "email"},
		{PretixField: "order_locale", Property: "hs_language", Mode: "if_empty", ValueMap: map[string]string{"en": "en", "de": "de"}},
	}}); err != nil {
		t.Fatal(err)
	}
	deal := h.mustCreate(h.event, "Order", "deals")
	if _, err := h.svc.Update(h.ctx, h.event, deal.ID, UpdateInput{SourceType: "Order", Rows: rows("order_code>pretix_order_id", "order_total>amount:overwrite"),
		AssociateWith: []int64{contact.ID}}); err != nil {
		t.Fatal(err)
	}
	doc, err := h.svc.Export(h.ctx, h.event)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Format != ExportFormat || len(doc.Mappings) != 2 || !reflect.DeepEqual(doc.Mappings[1].AssociateWith, []int{0}) ||
		doc.Mappings[0].Rows[1].ValueMap["de"] != "de" {
		t.Fatalf("export: %+v", doc)
	}

	// The other portal has no pretix_order_id: refused, nothing imported.
	_, err = h.svc.Import(h.ctx, h.other, doc, false)
	ae := appErr(t, err)
	if ae.Code != "import_identifier_not_unique" || ae.Fields["mappings.1.rows.0.property"] == "" || !strings.Contains(ae.Message, "Mapping 2 (Order → Deals), row 1") {
		t.Errorf("import into a portal without the property: %v %v", ae, ae.Fields)
	}
	if list, _ := h.svc.List(h.ctx, h.other); len(list) != 0 {
		t.Errorf("a refused import left %d mappings", len(list))
	}

	h.addProperty(hubNoWrite, hubspot.Deals, hubspotfake.Property{Name: "pretix_order_id", Label: "pretix order ID", Type: "string", FieldType: "text", HasUniqueValue: true, GroupName: "dealinformation"})
	list, err := h.svc.Import(h.ctx, h.other, doc, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !reflect.DeepEqual(list[1].AssociateWith, []int64{list[0].ID}) {
		t.Errorf("imported: %+v", list)
	}
	again, err := h.svc.Export(h.ctx, h.other)
	if err != nil {
		t.Fatal(err)
	}
	again.Event = doc.Event
	if !reflect.DeepEqual(again, doc) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", again, doc)
	}

	// Existing mappings are replaced only when confirmed.
	if _, err := h.svc.Import(h.ctx, h.other, doc, false); appErr(t, err).Code != "mappings_exist" {
		t.Errorf("import over existing mappings: %v", err)
	}
	if _, err := h.svc.Copy(h.ctx, h.other, h.event, true); err != nil {
		t.Errorf("copy with replace: %v", err)
	}
	if list, _ := h.svc.List(h.ctx, h.other); len(list) != 2 {
		t.Errorf("after copy: %d mappings", len(list))
	}
	sources, err := h.svc.CopySources(h.ctx, h.other)
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) != 1 || sources[0].EventID != h.event || sources[0].Mappings != 2 || sources[0].Organizer != "acme" || sources[0].Name != "DevCon" {
		t.Errorf("copy sources: %+v", sources)
	}
	if _, err := h.svc.Copy(h.ctx, h.event, h.event, true); appErr(t, err).Code != "copy_same_event" {
		t.Errorf("copy from itself: %v", err)
	}

	for _, bad := range []*Export{nil, {Format: "other", Version: 1}, {Format: ExportFormat, Version: 2}, {Format: ExportFormat, Version: 1}} {
		if _, err := h.svc.Import(h.ctx, h.other, bad, true); appErr(t, err).Kind != apperr.KindInvalid {
			t.Errorf("bad document %+v: %v", bad, err)
		}
	}
	bad := *doc
	bad.Mappings = []ExportedObject{{SourceType: "Order", TargetType: "contacts", Rows: rows("email>email"), AssociateWith: []int{0}}}
	if _, err := h.svc.Import(h.ctx, h.other, &bad, true); appErr(t, err).Fields["mappings.0.associate_with"] == "" {
		t.Errorf("self association: %v", err)
	}
	bad.Mappings = append(bad.Mappings[:1:1], ExportedObject{SourceType: "OrderPosition", TargetType: "contacts", Rows: rows("attendee_email>email"), AssociateWith: []int{0}})
	bad.Mappings[0].AssociateWith = []int{}
	if _, err := h.svc.Import(h.ctx, h.other, &bad, true); !strings.Contains(appErr(t, err).Fields["mappings.1.associate_with"], "two contacts") {
		t.Errorf("contact with contact: %v", err)
	}
}

func TestPreview(t *testing.T) {
	h := newHarness(t)
	raw := fixture(t, "../orders/Q7XK9_paid_addon.json")
	var o map[string]any
	if err := jsonUnmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	h.addOrder(h.event, o)
	m := h.mustCreate(h.event, "Order", "contacts")
	if _, err := h.svc.Update(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order", Rows: []RowInput{
		{PretixField: "email", Property: "email"},
		{PretixField: "invoice_address_name_given_name", Property: "firstname", Mode: "overwrite"},
		{PretixField: "invoice_address_state", Property: "state", Mode: "overwrite"},
		{PretixField: "invoice_address_state", Property: "country", Mode: "if_empty"},
		{PretixField: "order_locale", Property: "hs_language", Mode: "if_new", ValueMap: map[string]string{"de": "de"}},
	}}); err != nil {
		t.Fatal(err)
	}
	p, err := h.svc.Preview(h.ctx, h.event, m.ID, PreviewInput{OrderCode: " q7xk9 "})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 1 || p.Objects[0].Label != "Order Q7XK9" || p.Objects[0].Skipped != "" {
		t.Fatalf("objects: %+v", p.Objects)
	}
	r := p.Objects[0].Rows
	for i, want := range []struct{ value, sent, note string }{
		{"zoe.angstrom@analytical.example", "email=zoe.angstrom@analytical.example", ""},
		{"Zoë", "firstname=Zoë", ""},
		{"", "", "clears the HubSpot field"},
		{"", "", "nothing is written"},
		{"German (de)", "hs_language=de", "no such record"},
	} {
		if r[i].PretixValue != want.value || r[i].Sent != want.sent || !strings.Contains(r[i].Note, want.note) || r[i].Error != "" {
			t.Errorf("row %d: %+v, want %+v", i, r[i], want)
		}
	}
	if !r[2].Send || r[3].Send {
		t.Errorf("send flags: overwrite empty %v, fill empty %v", r[2].Send, r[3].Send)
	}

	// The editor's unsaved table, as Order position mapping: one object per
	// ticket, the conversion error shown at its row.
	p, err = h.svc.Preview(h.ctx, h.event, m.ID, PreviewInput{OrderCode: "Q7XK9", SourceType: "OrderPosition", Rows: []RowInput{
		{PretixField: "attendee_email", Property: "email"},
		{PretixField: "ticket_status", Property: "lifecyclestage", Mode: "overwrite", ValueMap: map[string]string{"c": "other"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) < 2 || p.Objects[0].Label != "Ticket Q7XK9-1" {
		t.Fatalf("position objects: %+v", p.Objects)
	}
	if e := p.Objects[0].Rows[1].Error; !strings.Contains(e, `no value for "p"`) {
		t.Errorf("conversion error: %q", e)
	}

	for _, tc := range []struct {
		code string
		kind apperr.Kind
	}{{"", apperr.KindInvalid}, {"NOPE1", apperr.KindNotFound}} {
		_, err := h.svc.Preview(h.ctx, h.event, m.ID, PreviewInput{OrderCode: tc.code})
		if ae := appErr(t, err); ae.Kind != tc.kind || ae.Fields["order_code"] == "" {
			t.Errorf("order %q: %v", tc.code, err)
		}
	}
	orders, err := h.svc.PreviewOrders(h.ctx, h.event, "q7x", 10)
	if err != nil || len(orders) != 1 || orders[0].Code != "Q7XK9" {
		t.Errorf("preview orders: %+v %v", orders, err)
	}
}

func TestCheckDoesNotSave(t *testing.T) {
	h := newHarness(t)
	m := h.mustCreate(h.event, "Order", "contacts")
	got, err := h.svc.Check(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order",
		Rows: rows("email>email", "order_total>hs_email_optout:overwrite", "invoice_address_city>town:overwrite"), AssociateWith: []int64{m.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Rows[1].Warning, "true or false") || got.Errors["rows.2.property"] == "" || got.Errors["associate_with"] == "" {
		t.Errorf("check: warnings %q, errors %v", got.Rows[1].Warning, got.Errors)
	}
	if len(got.AssociateWith) != 0 {
		t.Errorf("a mapping cannot associate with itself: %v", got.AssociateWith)
	}
	stored, err := h.svc.Get(h.ctx, h.event, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Rows) != 1 {
		t.Errorf("check saved %d rows", len(stored.Rows))
	}
	if _, err := h.svc.Check(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order"}); appErr(t, err).Fields["rows"] == "" {
		t.Errorf("empty table: %v", err)
	}
}

func TestValueMapDialogPipelineStages(t *testing.T) {
	h := newHarness(t)
	d, err := h.svc.ValueMap(h.ctx, h.event, ValueMapInput{SourceType: "Order", TargetType: "deals", PretixField: "order_status", Property: "dealstage"})
	if err != nil {
		t.Fatal(err)
	}
	if d.FreeText || len(d.Options) == 0 || !strings.Contains(d.Options[0].Label, ": ") {
		t.Errorf("deal stages as options: free text %v, %+v", d.FreeText, d.Options)
	}
	d, err = h.svc.ValueMap(h.ctx, h.event, ValueMapInput{SourceType: "Order", TargetType: "contacts", PretixField: "order_status", Property: "hubspot_owner_id"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.FreeText || len(d.Options) != 0 {
		t.Errorf("owners are typed in: %+v", d)
	}
}

// A saved column that cannot be read does not lock the editor: the mapping
// opens with the row's error, and saving it again writes it afresh.
func TestUnreadableSavedColumnsShowOnTheirRow(t *testing.T) {
	h := newHarness(t)
	m := h.mustCreate(h.event, "Order", "contacts")
	if _, err := h.svc.Update(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order", Rows: rows("email>email", "invoice_address_city>city:overwrite")}); err != nil {
		t.Fatal(err)
	}
	h.db.Exec(`UPDATE property_mappings SET value_map_json = '{broken' WHERE object_mapping_id = ?`, m.ID)
	h.db.Exec(`UPDATE object_mappings SET associate_with_json = '[1,' WHERE id = ?`, m.ID)
	got, err := h.svc.Get(h.ctx, h.event, m.ID)
	if err != nil {
		t.Fatalf("the mapping no longer opens: %v", err)
	}
	if !strings.Contains(got.Errors["rows.1.property"], "could not be read") || !strings.Contains(got.Errors["associate_with"], "could not be read") {
		t.Fatalf("errors %v", got.Errors)
	}
	if _, err := h.svc.Update(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order", Rows: rowInputs(got.Rows)}); err != nil {
		t.Fatal(err)
	}
	again, err := h.svc.Get(h.ctx, h.event, m.ID)
	if err != nil || len(again.Errors) != 0 {
		t.Fatalf("after saving again: %v %v", again.Errors, err)
	}
}

// rowInputs is what the editor sends back for rows it shows.
func rowInputs(rs []Row) []RowInput {
	out := make([]RowInput, len(rs))
	for i, r := range rs {
		out[i] = RowInput{PretixField: r.PretixField, Property: r.Property, Mode: r.Mode, ValueMap: r.ValueMap}
	}
	return out
}

// Order status → Deal Stage warns while a pretix status has no stage: the
// stages live in the pipelines, not in the property's options.
func TestDealStageWithoutValueMapWarns(t *testing.T) {
	h := newHarness(t)
	m := h.mustCreate(h.event, "Order", "deals")
	d, err := h.svc.ValueMap(h.ctx, h.event, ValueMapInput{SourceType: "Order", TargetType: "deals", PretixField: "order_status", Property: "dealstage"})
	if err != nil {
		t.Fatal(err)
	}
	stage := d.Options[0].Value
	for _, tc := range []struct {
		name     string
		valueMap map[string]string
		want     string // "" = no warning
	}{
		{"no value map", nil, `No HubSpot value is chosen for “Pending” (n), “Paid” (p), “Expired” (e), “Canceled” (c)`},
		{"one status left", map[string]string{"n": stage, "p": stage, "e": stage}, `No HubSpot value is chosen for “Canceled” (c)`},
		{"a value that is no stage", map[string]string{"n": stage, "p": stage, "e": stage, "c": "nostage"}, "does not have: nostage"},
		{"every status mapped", map[string]string{"n": stage, "p": stage, "e": stage, "c": stage}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.svc.Check(h.ctx, h.event, m.ID, UpdateInput{SourceType: "Order", Rows: []RowInput{
				{PretixField: "order_code", Property: "dealname"},
				{PretixField: "order_status", Property: "dealstage", Mode: "overwrite", ValueMap: tc.valueMap},
			}})
			if err != nil {
				t.Fatal(err)
			}
			w := got.Rows[1].Warning
			if (tc.want == "") != (w == "") || !strings.Contains(w, tc.want) {
				t.Errorf("warning %q, want %q", w, tc.want)
			}
		})
	}
}
