package api

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	pretixfake "pretix-hubspot/fakes/pretix"
)

type orderRow struct {
	Code     string    `json:"code"`
	Status   string    `json:"status"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Datetime time.Time `json:"datetime"`
	Total    string    `json:"total"`
	Currency string    `json:"currency"`
}

type orderPage struct {
	Orders   []orderRow `json:"orders"`
	Total    int        `json:"total"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
}

func TestOrdersList(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 130, 7)
	e.pxGenerate("workshops", 10, 8)
	e.pxConnect()
	live := e.pxLiveOrders("conf2026")
	byStatus := map[string]int{}
	for _, o := range live {
		byStatus[o.Status]++
	}
	var withEmail, withName pretixfake.Order
	for _, o := range live {
		if o.Email != nil && *o.Email != "" && withEmail.Code == "" {
			withEmail = o
		}
		if o.InvoiceAddress != nil && strings.Contains(o.InvoiceAddress.Name, " ") && withName.Code == "" {
			withName = o
		}
	}
	if withEmail.Code == "" || withName.Code == "" {
		t.Fatal("the generator made no order with an e-mail or an invoice name")
	}
	base := "/api/organizers/democon/events/conf2026/orders"
	family := strings.Fields(withName.InvoiceAddress.Name)
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantField  string
		check      func(t *testing.T, p orderPage)
	}{
		{name: "first page, newest first", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != len(live) || len(p.Orders) != 50 || p.Page != 1 || p.PageSize != 50 {
				t.Fatalf("total %d rows %d page %d size %d, want %d/50/1/50", p.Total, len(p.Orders), p.Page, p.PageSize, len(live))
			}
			if !sort.SliceIsSorted(p.Orders, func(i, j int) bool { return p.Orders[i].Datetime.After(p.Orders[j].Datetime) }) {
				t.Error("not newest first")
			}
			if p.Orders[0].Currency != "EUR" || p.Orders[0].Total == "" {
				t.Errorf("row %+v", p.Orders[0])
			}
		}},
		{name: "last page", query: "page=3", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if len(p.Orders) != len(live)-100 || p.Page != 3 {
				t.Errorf("rows %d page %d", len(p.Orders), p.Page)
			}
		}},
		{name: "past the end", query: "page=9", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if len(p.Orders) != 0 || p.Total != len(live) {
				t.Errorf("rows %d total %d", len(p.Orders), p.Total)
			}
		}},
		{name: "page size", query: "page_size=7&page=2", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if len(p.Orders) != 7 {
				t.Errorf("rows %d", len(p.Orders))
			}
		}},
		{name: "status paid", query: "status=p&page_size=200", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != byStatus["p"] || len(p.Orders) != byStatus["p"] {
				t.Errorf("total %d rows %d, want %d", p.Total, len(p.Orders), byStatus["p"])
			}
			for _, o := range p.Orders {
				if o.Status != "p" {
					t.Errorf("%s has status %s", o.Code, o.Status)
				}
			}
		}},
		{name: "pending or canceled, comma-separated", query: "status=n,c", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != byStatus["n"]+byStatus["c"] {
				t.Errorf("total %d, want %d", p.Total, byStatus["n"]+byStatus["c"])
			}
		}},
		{name: "status repeated", query: "status=e&status=c", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != byStatus["e"]+byStatus["c"] {
				t.Errorf("total %d, want %d", p.Total, byStatus["e"]+byStatus["c"])
			}
		}},
		{name: "search by code, any case", query: "search=" + strings.ToLower(live[5].Code), wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != 1 || p.Orders[0].Code != live[5].Code {
				t.Errorf("search %s: %+v", live[5].Code, p)
			}
		}},
		{name: "search by e-mail", query: "search=" + url.QueryEscape(*withEmail.Email), wantStatus: 200, check: func(t *testing.T, p orderPage) {
			found := false
			for _, o := range p.Orders {
				found = found || o.Code == withEmail.Code
			}
			// Attendee addresses match too, but an address picks out few orders.
			if !found || p.Total > 5 {
				t.Errorf("%s not found by %q: %+v", withEmail.Code, *withEmail.Email, p)
			}
		}},
		{name: "search by name", query: "search=" + url.QueryEscape(strings.Join(family, " ")), wantStatus: 200, check: func(t *testing.T, p orderPage) {
			found := false
			for _, o := range p.Orders {
				found = found || o.Code == withName.Code
			}
			if !found {
				t.Errorf("%s not found by name %q: %+v", withName.Code, withName.InvoiceAddress.Name, p)
			}
		}},
		{name: "search with no match", query: "search=zzqx-no-such-order", wantStatus: 200, check: func(t *testing.T, p orderPage) {
			if p.Total != 0 || len(p.Orders) != 0 {
				t.Errorf("%+v", p)
			}
		}},
		{name: "unknown status", query: "status=x", wantStatus: 400, wantField: "status"},
		{name: "page not a number", query: "page=two", wantStatus: 400, wantField: "page"},
		{name: "page size too big", query: "page_size=500", wantStatus: 400, wantField: "page_size"},
		{name: "page that overflows the offset", query: "page=9223372036854775807", wantStatus: 400, wantField: "page"},
		{name: "negative page", query: "page=-1", wantStatus: 400, wantField: "page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", base+"?"+tt.query, nil, nil)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if tt.wantField != "" {
				if field(r.json(t), "error", "fields", tt.wantField) == nil {
					t.Errorf("no %s field error: %s", tt.wantField, r.Body)
				}
				return
			}
			var p struct{ Data orderPage }
			if err := json.Unmarshal(r.Body, &p); err != nil {
				t.Fatal(err)
			}
			tt.check(t, p.Data)
		})
	}
	// The other event's orders stay in their own list.
	r := e.do("GET", "/api/organizers/democon/events/workshops/orders?search="+strings.ToLower(live[5].Code), nil, nil)
	if r.Status != 200 || field(r.json(t), "data", "total") != 0.0 {
		t.Errorf("conf2026 order listed under workshops: %s", r.Body)
	}
	if r := e.do("GET", "/api/organizers/democon/events/nope/orders", nil, nil); r.Status != 404 {
		t.Errorf("unknown event: %d", r.Status)
	}
}

func TestOrderDetail(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	e.pxGenerate("conf2026", 80, 9)
	e.pxConnect()
	// An order with an add-on and answers, and one with a canceled position.
	var rich, canceledPos pretixfake.Order
	for _, o := range e.pxLiveOrders("conf2026") {
		hasAddon, hasAnswers, hasCanceled := false, false, false
		for _, p := range o.Positions {
			hasAddon = hasAddon || p.AddonTo != nil
			hasAnswers = hasAnswers || len(p.Answers) > 0
			hasCanceled = hasCanceled || p.Canceled
		}
		if hasAddon && hasAnswers && o.InvoiceAddress != nil && rich.Code == "" {
			rich = o
		}
		if hasCanceled && canceledPos.Code == "" {
			canceledPos = o
		}
	}
	if rich.Code == "" || canceledPos.Code == "" {
		t.Fatal("the generator made no order with add-ons and answers, or none with a canceled position")
	}

	r := e.do("GET", "/api/organizers/democon/events/conf2026/orders/"+rich.Code, nil, nil)
	if r.Status != 200 {
		t.Fatalf("detail: %d %s", r.Status, r.Body)
	}
	for _, secret := range []string{rich.Secret, rich.Positions[0].Secret, pxToken} {
		if secret != "" && strings.Contains(string(r.Body), secret) {
			t.Errorf("the order detail contains a secret %q", secret)
		}
	}
	var d struct {
		Data struct {
			Code           string                              `json:"code"`
			Status         string                              `json:"status"`
			Total          string                              `json:"total"`
			EventRef       struct{ Timezone, Currency string } `json:"event_ref"`
			InvoiceAddress *struct{ Name, City string }        `json:"invoice_address"`
			Positions      []struct {
				PositionID      int    `json:"positionid"`
				ItemName        string `json:"item_name"`
				Price           string `json:"price"`
				AddonToPosition int    `json:"addon_to_positionid"`
				Canceled        bool   `json:"canceled"`
				Answers         []struct {
					Question string `json:"question"`
					Answer   string `json:"answer"`
				} `json:"answers"`
			} `json:"positions"`
			Payments []struct{ Amount string }        `json:"payments"`
			Log      []struct{ Kind, Message string } `json:"log"`
		}
	}
	if err := json.Unmarshal(r.Body, &d); err != nil {
		t.Fatal(err)
	}
	o := d.Data
	if o.Code != rich.Code || o.Status != rich.Status || o.Total != rich.Total || o.EventRef.Currency != "EUR" || o.EventRef.Timezone == "" {
		t.Errorf("header %+v", o)
	}
	if o.InvoiceAddress == nil || o.InvoiceAddress.Name != rich.InvoiceAddress.Name {
		t.Errorf("invoice address %+v, want %q", o.InvoiceAddress, rich.InvoiceAddress.Name)
	}
	if len(o.Positions) != len(rich.Positions) {
		t.Fatalf("positions %d, want %d", len(o.Positions), len(rich.Positions))
	}
	addons, answers := 0, 0
	for _, p := range o.Positions {
		if p.ItemName == "" || p.Price == "" {
			t.Errorf("position %d lacks product name or price: %+v", p.PositionID, p)
		}
		if p.AddonToPosition != 0 {
			addons++
		}
		for _, a := range p.Answers {
			answers++
			if a.Question == "" {
				t.Errorf("answer %q without its question text", a.Answer)
			}
		}
	}
	if addons == 0 || answers == 0 {
		t.Errorf("add-ons %d answers %d, want both", addons, answers)
	}
	if len(o.Log) == 0 || !strings.Contains(o.Log[0].Message, "imported from pretix") {
		t.Errorf("order history %+v", o.Log)
	}

	r = e.do("GET", "/api/organizers/democon/events/conf2026/orders/"+canceledPos.Code, nil, nil)
	if !strings.Contains(string(r.Body), `"canceled":true`) {
		t.Errorf("canceled position not marked: %s", r.Body)
	}
	for _, tt := range []struct{ path, code string }{
		{"/api/organizers/democon/events/conf2026/orders/NOPE1", "order_not_found"},
		{"/api/organizers/democon/events/workshops/orders/" + rich.Code, "order_not_found"},
		{"/api/organizers/democon/events/nope/orders/" + rich.Code, "event_not_found"},
	} {
		r := e.do("GET", tt.path, nil, nil)
		if r.Status != 404 || field(r.json(t), "error", "code") != tt.code {
			t.Errorf("%s: %d %s", tt.path, r.Status, r.Body)
		}
	}
}
