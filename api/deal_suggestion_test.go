package api

import (
	"fmt"
	"strings"
	"testing"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/hubspot"
)

// TestDealSuggestionAPI: the suggested deal mapping with line items and
// products creates the properties it needs, maps the order status to the
// default pipeline's stages, associates with the buyer mapping and turns
// on keeping the deals up to date; it is then no longer offered.
func TestDealSuggestionAPI(t *testing.T) {
	e := mapSetup(t)
	data(t, e.do("POST", mapBase+"/mappings/suggestion", nil, nil), 201) // the buyer as a contact

	s := data(t, e.do("GET", mapBase+"/mappings/deal-suggestion", nil, nil), 200)
	if s["available"] != true || s["pipeline"] != "Sales Pipeline" {
		t.Fatalf("deal suggestion: %v", s)
	}
	stages := map[string]string{}
	for _, st := range s["stages"].([]any) {
		m := st.(map[string]any)
		stages[m["status"].(string)] = m["stage"].(string)
	}
	if want := map[string]string{"n": "appointmentscheduled", "p": "closedwon", "e": "closedlost", "c": "closedlost"}; fmt.Sprint(stages) != fmt.Sprint(want) {
		t.Errorf("stages = %v, want %v", stages, want)
	}
	li := s["line_items"].(map[string]any)
	pr := s["products"].(map[string]any)
	if li["available"] != true || pr["available"] != true {
		t.Fatalf("line items %v, products %v", li, pr)
	}

	// Products without line items are refused with the reason.
	r := e.do("POST", mapBase+"/mappings/deal-suggestion", map[string]any{"products": true}, nil)
	if code, f := errorOf(t, r); r.Status != 400 || code != "products_unavailable" || f["products"] == nil {
		t.Fatalf("products alone: %d %s", r.Status, r.Body)
	}

	r = e.do("POST", mapBase+"/mappings/deal-suggestion", map[string]any{"line_items": true, "products": true, "keep_up_to_date": true}, nil)
	if r.Status != 201 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	list := r.json(t)["data"].([]any)
	if len(list) != 3 {
		t.Fatalf("mappings = %d, want contact, deal, line items", len(list))
	}
	contact, deal, items := list[0].(map[string]any), list[1].(map[string]any), list[2].(map[string]any)
	if deal["target_type"] != "deals" || items["target_type"] != "line_items" || items["source_type"] != "OrderPosition" {
		t.Fatalf("mappings: %v / %v", deal, items)
	}
	if fmt.Sprint(deal["associate_with"]) != fmt.Sprint([]any{contact["id"]}) || fmt.Sprint(items["associate_with"]) != fmt.Sprint([]any{deal["id"]}) {
		t.Errorf("associations: deal %v, line items %v", deal["associate_with"], items["associate_with"])
	}
	props := func(m map[string]any) string {
		var out []string
		for _, row := range m["rows"].([]any) {
			rw := row.(map[string]any)
			out = append(out, rw["pretix_field"].(string)+">"+rw["property"].(string))
			if w, _ := rw["warning"].(string); w != "" {
				t.Errorf("row %v warns: %s", rw["property"], w)
			}
		}
		return strings.Join(out, " ")
	}
	if got := props(deal); !strings.Contains(got, "event_order_code>pretix_order_key") || !strings.Contains(got, "order_status>dealstage") ||
		!strings.Contains(got, "order_refunded_amount>pretix_refunded_amount") || !strings.Contains(got, "event_currency>deal_currency_code") {
		t.Errorf("deal rows: %s", got)
	}
	if got := props(items); !strings.Contains(got, "event_ticket_id>pretix_line_item_key") || !strings.Contains(got, "product_sku>hs_product_id") ||
		!strings.Contains(got, "ticket_quantity>quantity") || !strings.Contains(got, "ticket_tax_rate>hs_tax_rate") ||
		!strings.Contains(got, "event_currency>hs_line_item_currency_code") {
		t.Errorf("line item rows: %s", got)
	}
	for _, want := range []struct{ ot, name string }{{"deals", "pretix_order_key"}, {"deals", "pretix_refunded_amount"}, {"line_items", "pretix_line_item_key"}} {
		found := false
		for _, p := range e.hsFake.Properties(hsTestHub, want.ot) {
			found = found || p.Name == want.name
		}
		if !found {
			t.Errorf("property %s.%s was not created", want.ot, want.name)
		}
	}
	for _, p := range dataList(t, e.do("GET", mapBase+"/plugins", nil, nil)) {
		pl := p.(map[string]any)
		if pl["id"] == "hubspot" && fmt.Sprint(pl["resync"]) != "map[canceled:true changed:true paid:true]" {
			t.Errorf("keep up to date: resync = %v", pl["resync"])
		}
	}
	// The choice stays visible and can be undone: pretix's behaviour again.
	off := data(t, e.do("PUT", mapBase+"/plugins/hubspot", map[string]any{"resync": map[string]bool{"paid": false, "changed": false, "canceled": true}}, nil), 200)
	if fmt.Sprint(off["resync"]) != "map[canceled:true changed:false paid:false]" {
		t.Errorf("after turning two off: %v", off)
	}
	if r := e.do("PUT", mapBase+"/plugins/hubspot", map[string]any{"enabled": true, "resync": map[string]bool{}}, nil); r.Status != 400 {
		t.Errorf("two changes at once: %d", r.Status)
	}
	if s := data(t, e.do("GET", mapBase+"/mappings/deal-suggestion", nil, nil), 200); s["available"] != false {
		t.Error("offered again after accepting")
	}
	r = e.do("POST", mapBase+"/mappings/deal-suggestion", map[string]any{}, nil)
	if code, _ := errorOf(t, r); r.Status != 409 || code != "deal_mapping_exists" {
		t.Errorf("accepting twice: %d %s", r.Status, r.Body)
	}
}

// TestDealSuggestionWithoutLineItemScopes: a connection without the line
// item and product scopes still gets the deal mapping; the options say why
// they are not offered and are refused.
func TestDealSuggestionWithoutLineItemScopes(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	var scopes []string
	for _, s := range append(append([]string{}, hubspot.RequiredScopes...), hubspot.OptionalScopes...) {
		if !strings.Contains(s, "line_items") && s != hubspot.ScopeProducts {
			scopes = append(scopes, s)
		}
	}
	e.hsFake.AddStaticToken(hubspotfake.StaticToken{Token: "pat-no-li", HubID: hsTestHub, Scopes: scopes})
	mapSeedEvent(t, e, "devcon25")
	if r := e.do("POST", mapBase+"/hubspot/token", map[string]string{"token": "pat-no-li", "hub_id": fmt.Sprint(hsTestHub)}, nil); r.Status != 200 {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	s := data(t, e.do("GET", mapBase+"/mappings/deal-suggestion", nil, nil), 200)
	li := s["line_items"].(map[string]any)
	if s["available"] != true || li["available"] != false || !strings.Contains(li["reason"].(string), "Reconnect HubSpot") {
		t.Fatalf("suggestion: %v", s)
	}
	r := e.do("POST", mapBase+"/mappings/deal-suggestion", map[string]any{"line_items": true}, nil)
	if code, _ := errorOf(t, r); r.Status != 400 || code != "line_items_unavailable" {
		t.Fatalf("line items without scopes: %d %s", r.Status, r.Body)
	}
	r = e.do("POST", mapBase+"/mappings/deal-suggestion", map[string]any{}, nil)
	if r.Status != 201 || len(r.json(t)["data"].([]any)) != 1 {
		t.Fatalf("deal only: %d %s", r.Status, r.Body)
	}
}
