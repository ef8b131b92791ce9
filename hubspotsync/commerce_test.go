package hubspotsync

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

// lineItemSet is a deal per order and a line item per position,
// associated with the deal.
func (h *harness) lineItemSet() {
	h.addProperties(hubA)
	h.must(h.fake.AddProperty(hubA, "line_items", hubspotfake.Property{Name: "pretix_line_item_key", Label: "pretix ticket", Type: "string", FieldType: "text", HasUniqueValue: true}))
	deal := h.mapping(1, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", nil,
		"order_code>dealname:overwrite", "order_total>amount:overwrite")
	h.mapping(2, models.SourcePosition, "line_items", "event_ticket_id", "pretix_line_item_key", []int64{deal},
		"product>name:overwrite", "ticket_price>price:overwrite")
}

// lineItems lists the live line items of the portal as "key name price",
// each with its deal's name.
func (h *harness) lineItems() string {
	deals := map[string]string{}
	for _, d := range h.fake.Records(hubA, "deals") {
		deals[d.ID] = d.Properties["dealname"]
	}
	var out []string
	for _, li := range h.fake.Records(hubA, "line_items") {
		var parents []string
		for id := range h.fake.Associations(hubA, "line_items", li.ID, "deals") {
			parents = append(parents, deals[id])
		}
		sort.Strings(parents)
		out = append(out, li.Properties["pretix_line_item_key"]+" "+li.Properties["name"]+" "+li.Properties["amount"]+" → "+strings.Join(parents, ","))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func TestLineItemsFollowTheOrdersPositions(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.lineItemSet()
	positions := []pos{{id: 31, email: "ann@example.org"}, {id: 32, email: "bob@example.org"}, {id: 33, item: 2, addonTo: 31}}
	h.addOrder(ord{code: "L1", email: "buyer@example.org", total: "30.00", at: t0.Add(time.Hour), positions: positions})
	h.addOrder(ord{code: "L2", email: "buyer@example.org", total: "10.00", at: t0.Add(2 * time.Hour), positions: []pos{{id: 41}}})
	h.sync("L1", "L2")
	h.done("L1", "L2")
	want := "CONF-L1-1 Ticket 10 → L1; CONF-L1-2 Ticket 10 → L1; CONF-L1-3 Workshop 10 → L1; CONF-L2-1 Ticket 10 → L2"
	if got := h.lineItems(); got != want {
		t.Fatalf("line items:\n got %s\nwant %s", got, want)
	}
	// Batched across orders: one write and one association call for both.
	if n := h.requests("POST /crm/objects/{version}/line_items/batch/upsert"); n != 1 {
		t.Errorf("line item upserts = %d, want 1", n)
	}
	if n := h.requests("POST /crm/associations/{version}/deals/line_items/batch/associate/default") + h.requests("POST /crm/associations/{version}/line_items/deals/batch/associate/default"); n != 1 {
		t.Errorf("association calls = %d, want 1", n)
	}

	// The second ticket is canceled in pretix: its line item goes, the
	// amount follows the new total, the others stay as they were.
	positions[1].cancel = true
	h.addOrder(ord{code: "L1", email: "buyer@example.org", total: "20.00", at: t0.Add(time.Hour), positions: positions})
	h.sync("L1")
	h.done("L1")
	want = "CONF-L1-1 Ticket 10 → L1; CONF-L1-3 Workshop 10 → L1; CONF-L2-1 Ticket 10 → L2"
	if got := h.lineItems(); got != want {
		t.Fatalf("after canceling a position:\n got %s\nwant %s", got, want)
	}
	deal, _ := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-L1")
	if deal.Properties["amount"] != "20.00" && deal.Properties["amount"] != "20" {
		t.Errorf("deal amount = %q, want 20", deal.Properties["amount"])
	}
	archived := 0
	for _, sr := range h.results("L1") {
		if sr.Action == actionArchived {
			archived++
			if sr.ExternalLink != "" {
				t.Errorf("an archived line item keeps a link: %+v", sr)
			}
		}
	}
	if archived != 1 {
		t.Errorf("archived results = %d, want 1: %+v", archived, h.results("L1"))
	}
	if logs := h.logs("L1"); len(logs) != 2 || !strings.Contains(logs[1].DataJSON, `"action":"archived"`) {
		t.Errorf("the removal is not in the order's history: %+v", logs)
	}

	// Syncing again changes nothing and archives nothing twice.
	before := h.requests("POST /crm/objects/{version}/line_items/batch/archive")
	h.sync("L1")
	h.done("L1")
	if n := h.requests("POST /crm/objects/{version}/line_items/batch/archive"); n != before {
		t.Errorf("a second sync archived again: %d calls, want %d", n, before)
	}
	if got := h.lineItems(); got != want {
		t.Fatalf("after a second sync:\n got %s\nwant %s", got, want)
	}
}

func TestLineItemRules(t *testing.T) {
	for _, c := range []struct {
		name string
		got  string
		want string
	}{
		{"line items from Order", SourceRule(models.SourceOrder, "line_items"), "map Order position to Line items"},
		{"line items from positions", SourceRule(models.SourcePosition, "line_items"), ""},
		{"contacts from Order", SourceRule(models.SourceOrder, "contacts"), ""},
		{"line item with contact", AssociationRule("line_items", "contacts"), "with deals only"},
		{"contact with line item", AssociationRule("contacts", "line_items"), "with deals only"},
		{"line item with deal", AssociationRule("line_items", "deals"), ""},
		{"deal with contact", AssociationRule("deals", "contacts"), ""},
		{"product link from the SKU", ProductLinkRule("line_items", "hs_product_id", "product_sku"), ""},
		{"product link from a number", ProductLinkRule("line_items", "hs_product_id", "product_id"), "Product SKU"},
		{"SKU into another property", ProductLinkRule("line_items", "hs_sku", "product_id"), ""},
	} {
		if (c.want == "") != (c.got == "") || !strings.Contains(c.got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestAChangedAttendeeIsDissociatedFromTheDeal(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.addProperties(hubA)
	buyer := h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, "invoice_address_name_given_name>firstname:overwrite")
	deal := h.mapping(2, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", []int64{buyer}, "order_code>dealname:overwrite")
	h.mapping(3, models.SourcePosition, "contacts", "attendee_email", "email", []int64{deal}, "attendee_name_given_name>firstname:if_empty")
	dealContacts := func() string {
		d, ok := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-D1")
		if !ok {
			t.Fatal("no deal")
		}
		var emails []string
		for id := range h.fake.Associations(hubA, "deals", d.ID, "contacts") {
			c, _ := h.fake.FindRecord(hubA, "contacts", "", id)
			emails = append(emails, c.Properties["email"])
		}
		sort.Strings(emails)
		return strings.Join(emails, ",")
	}
	steps := []struct {
		positions []pos
		want      string
	}{
		{[]pos{{id: 51, email: "ann@example.org"}, {id: 52, email: "cleo@example.org"}}, "ann@example.org,buyer@example.org,cleo@example.org"},
		// Ann hands her ticket to Bob: Bob is associated, Ann is not.
		{[]pos{{id: 51, email: "bob@example.org"}, {id: 52, email: "cleo@example.org"}}, "bob@example.org,buyer@example.org,cleo@example.org"},
		// Cleo's ticket becomes the buyer's own: the buyer stays associated.
		{[]pos{{id: 51, email: "bob@example.org"}, {id: 52, email: "buyer@example.org"}}, "bob@example.org,buyer@example.org"},
		// A third ticket for Dan, then canceled: Dan leaves the deal.
		{[]pos{{id: 51, email: "bob@example.org"}, {id: 52, email: "buyer@example.org"}, {id: 53, email: "dan@example.org"}}, "bob@example.org,buyer@example.org,dan@example.org"},
		{[]pos{{id: 51, email: "bob@example.org"}, {id: 52, email: "buyer@example.org"}, {id: 53, email: "dan@example.org", cancel: true}}, "bob@example.org,buyer@example.org"},
	}
	for i, s := range steps {
		h.addOrder(ord{code: "D1", email: "buyer@example.org", given: "Bea", at: t0.Add(time.Hour), positions: s.positions})
		h.sync("D1")
		h.done("D1")
		if got := dealContacts(); got != s.want {
			t.Fatalf("step %d: deal contacts %s, want %s", i+1, got, s.want)
		}
		if i == 1 {
			// The order's history says who is no longer on the deal.
			logs := h.logs("D1")
			var entry struct {
				Dissociated []struct {
					ObjectType string `json:"object_type"`
					IDValue    string `json:"id_value"`
				} `json:"dissociated"`
			}
			h.must(json.Unmarshal([]byte(logs[len(logs)-1].DataJSON), &entry))
			if len(entry.Dissociated) != 1 || entry.Dissociated[0].IDValue != "ann@example.org" || entry.Dissociated[0].ObjectType != "contacts" {
				t.Errorf("history entry of step 2: %s", logs[len(logs)-1].DataJSON)
			}
		}
	}
	// The contacts themselves are kept.
	if _, ok := h.fake.FindRecord(hubA, "contacts", "email", "ann@example.org"); !ok {
		t.Error("Ann's contact was deleted")
	}
	// Nothing stale left: another sync dissociates nothing.
	before := h.requests("POST /crm/associations/{version}/contacts/deals/batch/archive")
	h.sync("D1")
	if n := h.requests("POST /crm/associations/{version}/contacts/deals/batch/archive"); n != before {
		t.Errorf("dissociation calls went from %d to %d on an unchanged order", before, n)
	}
}

// productSet is lineItemSet with the product link and a refund property.
func (h *harness) productSet() {
	h.addProperties(hubA)
	h.must(h.fake.AddProperty(hubA, "line_items", hubspotfake.Property{Name: "pretix_line_item_key", Label: "pretix ticket", Type: "string", FieldType: "text", HasUniqueValue: true}))
	h.must(h.fake.AddProperty(hubA, "deals", hubspotfake.Property{Name: "pretix_refunded_amount", Label: "Refunded", Type: "number", FieldType: "number"}))
	stages := `{"n":"appointmentscheduled","p":"closedwon","e":"closedlost","c":"closedlost"}`
	deal := h.mapping(1, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", nil,
		"order_code>dealname:overwrite", "order_total>amount:overwrite", "order_status>dealstage:overwrite:"+stages,
		"order_refunded_amount>pretix_refunded_amount:overwrite")
	h.mapping(2, models.SourcePosition, "line_items", "event_ticket_id", "pretix_line_item_key", []int64{deal},
		"product>name:overwrite", "ticket_price>price:overwrite", "ticket_quantity>quantity:overwrite",
		"product_sku>hs_product_id:overwrite", "product_sku>hs_sku:overwrite")
}

// productOf is the name of the product a line item links to.
func (h *harness) productOf(key string) string {
	h.t.Helper()
	li, ok := h.fake.FindRecord(hubA, "line_items", "pretix_line_item_key", key)
	if !ok {
		h.t.Fatalf("no line item %s", key)
	}
	p, ok := h.fake.FindRecord(hubA, "products", "", li.Properties["hs_product_id"])
	if !ok {
		h.t.Fatalf("line item %s links to product %q, which does not exist", key, li.Properties["hs_product_id"])
	}
	return p.Properties["name"] + " " + p.Properties["pretix_product_sku"]
}

func TestProductsAreCreatedOnceAndFollowTheirLineItems(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.productSet()
	h.addOrder(ord{code: "P1", email: "buyer@example.org", total: "20.00", at: t0.Add(time.Hour), positions: []pos{{id: 61}, {id: 62, item: 2}}})
	h.addOrder(ord{code: "P2", email: "buyer@example.org", total: "10.00", at: t0.Add(2 * time.Hour), positions: []pos{{id: 71}}})
	h.sync("P1", "P2")
	h.done("P1", "P2")
	products := h.fake.Records(hubA, "products")
	if len(products) != 2 {
		t.Fatalf("products = %d, want 2 (Ticket and Workshop): %+v", len(products), products)
	}
	for key, want := range map[string]string{"CONF-P1-1": "Ticket CONF-P1", "CONF-P1-2": "Workshop CONF-P2", "CONF-P2-1": "Ticket CONF-P1"} {
		if got := h.productOf(key); got != want {
			t.Errorf("line item %s links to %q, want %q", key, got, want)
		}
	}
	if n := h.requests("POST /crm/objects/{version}/products/batch/upsert"); n != 1 {
		t.Errorf("product upserts = %d, want 1 for both orders", n)
	}
	// Reused: a later order's line item links to the same product, and no
	// product is written again.
	h.addOrder(ord{code: "P3", email: "other@example.org", at: t0.Add(3 * time.Hour), positions: []pos{{id: 81}}})
	h.sync("P3")
	h.done("P3")
	if got := h.productOf("CONF-P3-1"); got != "Ticket CONF-P1" {
		t.Errorf("P3's line item links to %q", got)
	}
	// The product of P2's position is changed in pretix to the workshop:
	// the line item follows, with its name, price and product.
	h.addOrder(ord{code: "P2", email: "buyer@example.org", total: "25.00", at: t0.Add(2 * time.Hour), positions: []pos{{id: 71, item: 2, price: "25.00"}}})
	h.sync("P2")
	h.done("P2")
	li, _ := h.fake.FindRecord(hubA, "line_items", "pretix_line_item_key", "CONF-P2-1")
	if li.Properties["name"] != "Workshop" || li.Properties["amount"] != "25" && li.Properties["amount"] != "25.00" {
		t.Errorf("changed line item = %v", li.Properties)
	}
	if got := h.productOf("CONF-P2-1"); got != "Workshop CONF-P2" {
		t.Errorf("the changed line item links to %q", got)
	}
	if n := h.requests("POST /crm/objects/{version}/products/batch/upsert"); n != 1 {
		t.Errorf("product upserts = %d after reuse, want still 1", n)
	}
	if len(h.fake.Records(hubA, "products")) != 2 {
		t.Errorf("products = %d, want still 2", len(h.fake.Records(hubA, "products")))
	}
}

func TestTheDealFollowsTheOrdersStatusAndRefunds(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.productSet()
	deal := func() map[string]string {
		d, ok := h.fake.FindRecord(hubA, "deals", "pretix_order_key", "CONF-S1")
		if !ok {
			t.Fatal("no deal")
		}
		return d.Properties
	}
	steps := []struct {
		name               string
		status, total      string
		refunds            []map[string]any
		stage, amount, ref string
	}{
		{"pending", "n", "20.00", nil, "appointmentscheduled", "20", "0"},
		{"paid", "p", "20.00", nil, "closedwon", "20", "0"},
		{"partly refunded", "p", "20.00", []map[string]any{{"local_id": 1, "state": "done", "amount": "5.00"}, {"local_id": 2, "state": "failed", "amount": "15.00"}}, "closedwon", "20", "5"},
		{"canceled", "c", "0.00", []map[string]any{{"local_id": 1, "state": "done", "amount": "20.00"}}, "closedlost", "0", "20"},
	}
	num := func(s string) string { return strings.TrimSuffix(strings.TrimSuffix(s, ".00"), ".0") }
	for _, s := range steps {
		h.addOrder(ord{code: "S1", email: "buyer@example.org", status: s.status, total: s.total, refunds: s.refunds,
			at: t0.Add(time.Hour), positions: []pos{{id: 91}, {id: 92, price: "10.00"}}})
		h.sync("S1")
		h.done("S1")
		d := deal()
		if d["dealstage"] != s.stage || num(d["amount"]) != s.amount || num(d["pretix_refunded_amount"]) != s.ref {
			t.Errorf("%s: deal stage %q amount %q refunded %q, want %s %s %s", s.name, d["dealstage"], d["amount"], d["pretix_refunded_amount"], s.stage, s.amount, s.ref)
		}
	}
}
