package hubspotsync

import (
	"fmt"
	"strings"
	"testing"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// commerceOn adds to standardSet a line item per position, associated with
// the order's deal and linked to the HubSpot product of its pretix product.
func (h *harness) commerceOn() {
	h.must(h.fake.AddProperty(hubA, "line_items", hubspotfake.Property{Name: "pretix_line_item_key", Label: "pretix ticket", Type: "string", FieldType: "text", HasUniqueValue: true}))
	var deal models.ObjectMapping
	h.must(h.db.Where("event_id = ? AND target_type = ?", h.event, "deals").Take(&deal).Error)
	h.mapping(4, models.SourcePosition, "line_items", "event_ticket_id", "pretix_line_item_key", []int64{deal.ID},
		"product>name:overwrite", "ticket_price>price:overwrite", "ticket_quantity>quantity:overwrite",
		"product_sku>hs_sku:overwrite", "product_sku>hs_product_id:overwrite")
}

// BenchmarkSyncBacklogCommerce is BenchmarkSyncBacklog with line items and
// products: every request per order, read back as one line item per
// position that is not canceled, on its order's deal, linked to an existing
// product, and one product per pretix product and variation sold.
func BenchmarkSyncBacklogCommerce(b *testing.B) {
	for i := 0; i < b.N; i++ {
		d := drainBacklog(b, 10000, 0, func(h *harness) { h.commerceOn() })
		h := d.h
		var rows []models.PretixOrder
		h.must(h.db.Select("code", "raw_json").Where("event_id = ?", h.event).Find(&rows).Error)
		want := map[string]bool{} // line item keys
		skus := map[string]bool{}
		for _, row := range rows {
			o, err := pretixwire.DecodeOrder([]byte(row.RawJSON))
			h.must(err)
			for _, p := range o.Positions {
				if !p.Canceled {
					want[fmt.Sprintf("%s-%d", o.FullCode(o.Event), p.PositionID)] = true
					sku := fmt.Sprintf("%s-P%d", strings.ToUpper(o.Event), p.Item)
					if p.Variation != 0 {
						sku += fmt.Sprintf("-V%d", p.Variation)
					}
					skus[sku] = true
				}
			}
		}
		deals := map[string]string{} // record id → order key
		for _, r := range h.fake.Records(hubA, "deals") {
			deals[r.ID] = r.Properties["pretix_order_key"]
		}
		products := map[string]string{} // record id → SKU
		for _, r := range h.fake.Records(hubA, "products") {
			products[r.ID] = r.Properties["pretix_product_sku"]
		}
		items := h.fake.Records(hubA, "line_items")
		seen := map[string]bool{}
		for _, li := range items {
			key := li.Properties["pretix_line_item_key"]
			if !want[key] || seen[key] {
				b.Fatalf("line item %s: wanted %v, seen before %v", key, want[key], seen[key])
			}
			seen[key] = true
			parents := h.fake.Associations(hubA, "line_items", li.ID, "deals")
			if len(parents) != 1 {
				b.Fatalf("line item %s has %d deals", key, len(parents))
			}
			for id := range parents {
				if !strings.HasPrefix(key, deals[id]+"-") {
					b.Fatalf("line item %s is on the deal of %s", key, deals[id])
				}
			}
			if sku := products[li.Properties["hs_product_id"]]; sku == "" || sku != li.Properties["hs_sku"] {
				b.Fatalf("line item %s links to product %q (SKU %q), its SKU is %q", key, li.Properties["hs_product_id"], sku, li.Properties["hs_sku"])
			}
		}
		if len(seen) != len(want) || len(products) != len(skus) {
			b.Fatalf("%d line items for %d live positions; %d products for %d products sold", len(seen), len(want), len(products), len(skus))
		}
		b.Logf("read back: %d line items on %d deals, %d products", len(seen), len(deals), len(products))
		b.ReportMetric(d.perOrder(), "req/order")
		fmt.Printf("BENCH sync_commerce_requests_per_order %.3f req/order\n", d.perOrder())
	}
}
