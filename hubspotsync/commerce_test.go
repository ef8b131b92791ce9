package hubspotsync

import (
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
	}
	for i, s := range steps {
		h.addOrder(ord{code: "D1", email: "buyer@example.org", given: "Bea", at: t0.Add(time.Hour), positions: s.positions})
		h.sync("D1")
		h.done("D1")
		if got := dealContacts(); got != s.want {
			t.Fatalf("step %d: deal contacts %s, want %s", i+1, got, s.want)
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
