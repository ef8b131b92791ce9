package hubspot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/apperr"
	hubspotfake "pretix-hubspot/fakes/hubspot"
)

func TestBatchCreateAttributesEveryErrorToItsInput(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	existing := h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": "taken@example.org"})
	res, err := cl.BatchCreate(ctx, Contacts, []CreateInput{
		{TraceID: "order-A", Properties: map[string]string{"email": "a@example.org", "firstname": "Ann"}},
		{TraceID: "order-B", Properties: map[string]string{"email": "taken@example.org"}},
		{TraceID: "order-C", Properties: map[string]string{"email": "c@example.org", "lifecyclestage": "Customer"}},
		{TraceID: "order-D", Properties: map[string]string{"email": "d@example.org", "pretix_shoe_size": "42"}},
		{TraceID: "order-E", Properties: map[string]string{"email": "e@example.org"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results)+len(res.Errors) != 5 {
		t.Fatalf("%d results + %d errors for 5 inputs", len(res.Results), len(res.Errors))
	}
	for _, k := range []string{"order-A", "order-E"} {
		r, ok := res.Results[k]
		if !ok || r.ID == "" || r.TraceID != k {
			t.Errorf("%s: %+v", k, r)
		}
	}
	if got := res.Results["order-A"].Properties["firstname"]; got != "Ann" {
		t.Errorf("order-A firstname = %q", got)
	}
	want := map[string]struct {
		class    Class
		status   int
		code     string
		contains string
	}{
		"order-B": {ClassTemporary, 409, "", "Existing ID: " + existing},
		"order-C": {ClassPermanent, 400, "INVALID_OPTION", "lifecyclestage"},
		"order-D": {ClassConfig, 400, "PROPERTY_DOESNT_EXIST", "pretix_shoe_size"},
	}
	for k, w := range want {
		e := res.Errors[k]
		if e == nil {
			t.Errorf("%s: no error", k)
			continue
		}
		if e.Class != w.class || e.Status != w.status || !strings.Contains(e.Error(), w.contains) {
			t.Errorf("%s: %v (class %s)", k, e, e.Class)
		}
		if w.code != "" && (len(e.Codes()) != 1 || e.Codes()[0] != w.code) {
			t.Errorf("%s: codes %v", k, e.Codes())
		}
	}
	if n := len(h.fake.Records(hubEU, "contacts")); n != 3 {
		t.Errorf("stored contacts = %d, want 3", n)
	}
}

func TestBatchUpsertReadUpdate(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	old := h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": "old@example.org", "firstname": "Old"})

	up, err := cl.BatchUpsert(ctx, Contacts, "email", []UpsertInput{
		{ID: "OLD@example.org", TraceID: "t1", Properties: map[string]string{"lastname": "Timer"}},
		{ID: "new@example.org", TraceID: "t2", Properties: map[string]string{"firstname": "New"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := up.Results["t1"]; r.ID != old || r.New || r.Properties["lastname"] != "Timer" {
		t.Errorf("t1 = %+v", r)
	}
	if r := up.Results["t2"]; !r.New || r.Properties["email"] != "new@example.org" {
		t.Errorf("t2 = %+v", r)
	}

	rd, err := cl.BatchRead(ctx, Contacts, "email", []string{"Old@Example.org", "new@example.org", "nobody@example.org"}, []string{"firstname", "phone"})
	if err != nil {
		t.Fatal(err)
	}
	if r := rd.Found["Old@Example.org"]; r.ID != old || r.Properties["firstname"] != "Old" {
		t.Errorf("found old = %+v", r)
	}
	if v, present := rd.Found["new@example.org"].Properties["phone"]; !present || v != "" {
		t.Errorf("unset requested property: %q %v", v, present)
	}
	if len(rd.Missing) != 1 || rd.Missing[0] != "nobody@example.org" || len(rd.Errors) != 0 {
		t.Errorf("missing = %v, errors = %v", rd.Missing, rd.Errors)
	}

	upd, err := cl.BatchUpdate(ctx, Contacts, []UpdateInput{
		{ID: old, TraceID: "u1", Properties: map[string]string{"firstname": "Renamed"}},
		{ID: "404404", TraceID: "u2", Properties: map[string]string{"firstname": "Ghost"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Results[old].Properties["firstname"] != "Renamed" {
		t.Errorf("update result = %+v", upd.Results[old])
	}
	if e := upd.Errors["404404"]; e == nil || e.Class != ClassPermanent || e.Status != 404 {
		t.Errorf("missing record = %v", e)
	}
}

func TestWholeBatchRejectionIsDistinct(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	_, err := cl.BatchUpsert(ctx, Contacts, "email", []UpsertInput{
		{ID: "dup@example.org", TraceID: "1"},
		{ID: "DUP@example.org", TraceID: "2"},
	})
	if !IsWholeBatch(err) || ClassOf(err) != ClassPermanent || !strings.Contains(err.Error(), "Duplicate IDs") {
		t.Fatalf("duplicate keys: %v", err)
	}
	// Update without trace ids: one bad input fails the call as a whole.
	id := h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": "x@example.org"})
	_, err = cl.BatchUpdate(ctx, Contacts, []UpdateInput{
		{ID: id, Properties: map[string]string{"firstname": "Fine"}},
		{ID: id + "0", Properties: map[string]string{"firstname": "Ghost"}},
	})
	if !IsWholeBatch(err) {
		t.Fatalf("untraced update: %v", err)
	}
	if r, _ := h.fake.FindRecord(hubEU, "contacts", "", id); r.Properties["firstname"] == "Fine" {
		t.Error("a rejected batch was applied")
	}
	// Upsert by a property that is not unique is a misconfiguration, whole batch.
	_, err = cl.BatchUpsert(ctx, Deals, "dealname", []UpsertInput{{ID: "x", TraceID: "1"}})
	if !IsWholeBatch(err) || ClassOf(err) != ClassConfig {
		t.Errorf("non-unique idProperty: %v (class %s)", err, ClassOf(err))
	}
}

func TestBatchInputChecks(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	before := h.fake.Stats().Total
	big := make([]CreateInput, 101)
	for i := range big {
		big[i] = CreateInput{TraceID: fmt.Sprint(i)}
	}
	if _, err := cl.BatchCreate(ctx, Contacts, big); apperr.KindOf(err) != apperr.KindInternal {
		t.Errorf("101 inputs: %v", err)
	}
	if _, err := cl.BatchCreate(ctx, Contacts, []CreateInput{{Properties: map[string]string{"email": "a@b.org"}}}); err == nil {
		t.Error("create without trace id accepted")
	}
	if _, err := cl.BatchUpsert(ctx, Contacts, "email", []UpsertInput{{ID: "a@b.org", TraceID: "x"}, {ID: "b@b.org", TraceID: "x"}}); err == nil {
		t.Error("duplicate trace ids accepted")
	}
	if _, err := cl.BatchRead(ctx, Contacts, "email", make([]string, 101), nil); err == nil {
		t.Error("101 reads accepted")
	}
	if got := h.fake.Stats().Total - before; got != 0 {
		t.Errorf("%d requests for refused batches", got)
	}
}

func TestPropertiesCacheAndUniqueKey(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	ctx := context.Background()
	cl := h.connect(hubEU)
	const ep = "GET /crm/properties/{version}/deals"
	props, err := cl.Properties(ctx, Deals)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Property{}
	for _, p := range props {
		byName[p.Name] = p
	}
	if p := byName["dealstage"]; !p.ExternalOptions || p.Type != "enumeration" || !p.Writable() {
		t.Errorf("dealstage = %+v", p)
	}
	if p := byName["hs_object_id"]; p.Writable() || !p.ModificationMetadata.ReadOnlyValue {
		t.Errorf("hs_object_id = %+v", p)
	}
	if p := byName["days_to_close"]; p.Writable() || !p.Calculated {
		t.Errorf("days_to_close = %+v", p)
	}
	if _, err := cl.Properties(ctx, Deals); err != nil || h.count(ep) != 1 {
		t.Errorf("cached read hit HubSpot: %d calls", h.count(ep))
	}
	if _, err := cl.RefreshProperties(ctx, Deals); err != nil || h.count(ep) != 2 {
		t.Errorf("refresh: %d calls", h.count(ep))
	}
	contacts, _ := cl.Properties(ctx, Contacts)
	for _, p := range contacts {
		switch p.Name {
		case "email":
			if !IsUniqueKey(Contacts, p) {
				t.Error("contact email is a unique key")
			}
		case "hs_buying_role":
			if !p.MultiSelect() || len(p.Options) == 0 {
				t.Errorf("hs_buying_role = %+v", p)
			}
		case "firstname":
			if IsUniqueKey(Contacts, p) {
				t.Error("firstname is not unique")
			}
		}
	}

	p, err := cl.EnsureUniqueProperty(ctx, Deals, "pretix_order_key", "pretix order", "organizer/event/order code")
	if err != nil || !p.HasUniqueValue || !IsUniqueKey(Deals, *p) {
		t.Fatalf("ensure: %+v %v", p, err)
	}
	const create = "POST /crm/properties/{version}/deals"
	if _, err := cl.EnsureUniqueProperty(ctx, Deals, "pretix_order_key", "pretix order", ""); err != nil || h.count(create) != 1 {
		t.Errorf("second ensure: %v, %d creates", err, h.count(create))
	}
	if err := h.fake.AddProperty(hubEU, "deals", hubspotfake.Property{Name: "plain_key", Label: "P", Type: "string", FieldType: "text"}); err != nil {
		t.Fatal(err)
	}
	cl.RefreshProperties(ctx, Deals)
	if _, err := cl.EnsureUniqueProperty(ctx, Deals, "plain_key", "P", ""); ClassOf(err) != ClassConfig {
		t.Errorf("non-unique existing property: %v", err)
	}
	if _, err := cl.CreateProperty(ctx, Deals, PropertySpec{Name: "Bad Name", Label: "x", Type: "string", FieldType: "text"}); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("bad name: %v", err)
	}
	// Upsert by the new unique key.
	res, err := cl.BatchUpsert(ctx, Deals, "pretix_order_key", []UpsertInput{{ID: "org/ev/ABC12", TraceID: "ABC12", Properties: map[string]string{"dealname": "ABC12", "dealstage": "closedwon", "amount": "120.00"}}})
	if err != nil || !res.Results["ABC12"].New {
		t.Fatalf("deal upsert: %+v %v", res, err)
	}
}

func TestPipelinesAndAssociations(t *testing.T) {
	h := newHarness(t, hubspotfake.Options{}, nil)
	h.autoAdvance(10 * time.Millisecond)
	ctx := context.Background()
	cl := h.connect(hubEU)
	pls, err := cl.Pipelines(ctx, Deals)
	if err != nil {
		t.Fatal(err)
	}
	if len(pls) != 1 || pls[0].ID != "default" || len(pls[0].Stages) != 7 {
		t.Fatalf("pipelines = %+v", pls)
	}
	won := pls[0].Stages[5]
	if won.ID != "closedwon" || !won.IsClosed || won.Probability != 1 || pls[0].Stages[0].IsClosed {
		t.Errorf("stages = %+v", pls[0].Stages)
	}

	company := h.fake.SeedRecord(hubEU, "companies", map[string]string{"name": "ACME"})
	var pairs []AssociationPair
	for i := 0; i < MaxAssociationInputs+5; i++ {
		c := h.fake.SeedRecord(hubEU, "contacts", map[string]string{"email": fmt.Sprintf("p%d@example.org", i)})
		pairs = append(pairs, AssociationPair{FromID: c, ToID: company})
	}
	bad := AssociationPair{FromID: pairs[0].FromID, ToID: "999"}
	pairs = append(pairs, bad)
	before := h.count("POST /crm/associations/{version}/contacts/companies/batch/associate/default")
	res, err := cl.BatchAssociateDefault(ctx, Contacts, Companies, pairs)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.count("POST /crm/associations/{version}/contacts/companies/batch/associate/default") - before; n != 2 {
		t.Errorf("calls = %d, want 2 (split at %d)", n, MaxAssociationInputs)
	}
	if len(res.Errors) != 1 || res.Errors[bad] == nil || res.Errors[bad].Class != ClassPermanent {
		t.Errorf("errors = %v", res.Errors)
	}
	if got := h.fake.Associations(hubEU, "companies", company, "contacts"); len(got) != MaxAssociationInputs+5 {
		t.Errorf("company has %d contacts", len(got))
	}
}

func TestRecordURL(t *testing.T) {
	cases := []struct {
		domain string
		ot     ObjectType
		id     string
		want   string
	}{
		{"app-eu1.hubspot.com", Contacts, "980", "https://app-eu1.hubspot.com/contacts/24681357/record/0-1/980"},
		{"app.hubspot.com", Deals, "9162434779", "https://app.hubspot.com/contacts/24681357/record/0-3/9162434779"},
		{"APP.HubSpot.com", Companies, "7", "https://app.hubspot.com/contacts/24681357/record/0-2/7"},
		{"evil.example", Contacts, "1", "https://app.hubspot.com/contacts/24681357/record/0-1/1"},
		{"hubspot.com.evil.example", Contacts, "1", "https://app.hubspot.com/contacts/24681357/record/0-1/1"},
		{"", Deals, "1", "https://app.hubspot.com/contacts/24681357/record/0-3/1"},
	}
	for _, c := range cases {
		if got := RecordURL(c.domain, hubEU, c.ot, c.id); got != c.want {
			t.Errorf("RecordURL(%q) = %s, want %s", c.domain, got, c.want)
		}
		conn := Connection{HubID: hubEU, UIDomain: c.domain}
		if got := conn.RecordURL(c.ot, c.id); got != c.want {
			t.Errorf("Connection{UIDomain: %q}.RecordURL = %s, want %s", c.domain, got, c.want)
		}
	}
	// An emulator's configured app base answers the links of a demo.
	conn := Connection{HubID: hubEU, UIDomain: "app.hubspot.com", RecordBase: "http://127.0.0.1:8091/"}
	if got, want := conn.RecordURL(Deals, "42"), "http://127.0.0.1:8091/contacts/24681357/record/0-3/42"; got != want {
		t.Errorf("with RecordBase: %s, want %s", got, want)
	}
}
