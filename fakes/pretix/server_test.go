package pretixfake

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestAuthAndPermissions(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 3)
	base := f.http.URL + "/api/v1/organizers/"
	if err := f.srv.AddToken("acme", "tok-noorders", Team{AllEvents: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.AddToken("acme", "tok-limited", Team{LimitEvents: []string{"series"}, CanViewOrders: true}); err != nil {
		t.Fatal(err)
	}
	f.srv.AddOrganizer("other", "Other")
	if err := f.srv.AddToken("other", "tok-other", Team{AllEvents: true, CanViewOrders: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, token string
		status            int
		detail            string
	}{
		{"no credentials", "acme/events/", "", 401, "Authentication credentials were not provided."},
		{"invalid token", "acme/events/", "nope", 401, "Invalid token."},
		{"organizer detail", "acme/", testToken, 200, ""},
		{"unknown organizer detail is 404", "nosuch/", testToken, 404, "Not found."},
		{"other organizer's detail is 404", "other/", testToken, 404, "Not found."},
		{"below unknown organizer is 403", "nosuch/events/", testToken, 403, "You do not have permission to perform this action."},
		{"unknown event is 403", "acme/events/nosuch/items/", testToken, 403, "You do not have permission to perform this action."},
		{"event orders need can_view_orders", "acme/events/conf/orders/", "tok-noorders", 403, "You do not have permission to perform this action."},
		{"catalogue needs no special permission", "acme/events/conf/items/", "tok-noorders", 200, ""},
		{"settings need can_change_event_settings", "acme/events/conf/settings/", "tok-noorders", 403, "You do not have permission to perform this action."},
		{"settings with permission", "acme/events/conf/settings/", testToken, 200, ""},
		{"event outside the team's events", "acme/events/conf/orders/", "tok-limited", 403, "You do not have permission to perform this action."},
		{"event inside the team's events", "acme/events/series/orders/", "tok-limited", 200, ""},
		{"unknown order", "acme/events/conf/orders/ZZZZZ/", testToken, 404, "Not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, base+tc.path, tc.token)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.detail != "" {
				if got := r.json(t)["detail"]; got != tc.detail {
					t.Fatalf("detail %q, want %q", got, tc.detail)
				}
			}
		})
	}

	t.Run("organizer-wide list without permission is empty, not 403", func(t *testing.T) {
		r := get(t, base+"acme/orders/", "tok-noorders")
		if r.status != 200 || r.page(t).Count != 0 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("organizer-wide list only covers the team's events", func(t *testing.T) {
		if _, err := f.srv.GenerateOrders("acme", "series", 2, rand.New(rand.NewSource(3))); err != nil {
			t.Fatal(err)
		}
		r := get(t, base+"acme/orders/", "tok-limited")
		p := r.page(t)
		if p.Count != 2 {
			t.Fatalf("count %d, want the 2 series orders", p.Count)
		}
	})
	t.Run("events list of a limited team", func(t *testing.T) {
		p := get(t, base+"acme/events/", "tok-limited").page(t)
		if p.Count != 1 || !strings.Contains(string(p.Results[0]), `"slug":"series"`) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("organizers list shows only the token's organizer", func(t *testing.T) {
		p := get(t, base, "tok-other").page(t)
		if p.Count != 1 || !strings.Contains(string(p.Results[0]), `"slug":"other"`) {
			t.Fatalf("got %s", p.Results)
		}
	})
}

func TestPagination(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 123)
	url := f.http.URL + "/api/v1/organizers/acme/events/conf/orders/?page_size=500&include_canceled_positions=true"
	r := get(t, url, testToken)
	p := r.page(t)
	if p.Count != 123 || len(p.Results) != 50 {
		t.Fatalf("count %d, %d results; want 123 and page_size capped at 50", p.Count, len(p.Results))
	}
	if p.Next == nil || !strings.HasPrefix(*p.Next, f.http.URL+"/api/v1/") || !strings.Contains(*p.Next, "page=2") {
		t.Fatalf("next = %v, want an absolute URL to page 2", p.Next)
	}
	if !strings.Contains(*p.Next, "include_canceled_positions=true") {
		t.Fatalf("next lost the filters: %s", *p.Next)
	}
	if p.Previous != nil {
		t.Fatalf("previous on page 1 = %s", *p.Previous)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Page-Generated")); err != nil {
		t.Fatalf("X-Page-Generated %q: %v", r.header.Get("X-Page-Generated"), err)
	}
	all := allOrders(t, url)
	if len(all) != 123 {
		t.Fatalf("followed next to %d orders, want 123", len(all))
	}
	seen := map[string]bool{}
	for i, o := range all {
		if seen[o.Code] {
			t.Fatalf("order %s twice", o.Code)
		}
		seen[o.Code] = true
		if i > 0 && time.Time(o.Datetime).Before(time.Time(all[i-1].Datetime)) {
			t.Fatalf("orders not in creation order at %d", i)
		}
	}
	last := get(t, url+"&page=3", testToken).page(t)
	if last.Next != nil || len(last.Results) != 23 || last.Previous == nil {
		t.Fatalf("last page: next=%v results=%d", last.Next, len(last.Results))
	}
	if r := get(t, url+"&page=4", testToken); r.status != 404 || r.json(t)["detail"] != "Invalid page." {
		t.Fatalf("page past the end: %d %s", r.status, r.body)
	}
	if r := get(t, url+"&page=abc", testToken); r.status != 404 {
		t.Fatalf("bad page number: %d", r.status)
	}
}

func TestOrderFilters(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 200)
	base := f.http.URL + "/api/v1/organizers/acme/orders/"
	all := allOrders(t, base)
	testmode, modified := 0, map[string]time.Time{}
	for _, o := range all {
		if o.Testmode {
			testmode++
		}
		modified[o.Code] = time.Time(o.LastModified)
	}
	if testmode == 0 || testmode == len(all) {
		t.Fatalf("generator made %d test-mode orders of %d; want some", testmode, len(all))
	}
	if got := len(allOrders(t, base+"?testmode=false")); got != len(all)-testmode {
		t.Fatalf("testmode=false gave %d, want %d", got, len(all)-testmode)
	}
	// modified_since is inclusive.
	times := make([]time.Time, 0, len(modified))
	for _, m := range modified {
		times = append(times, m)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	cut := times[len(times)/2]
	want := 0
	for _, m := range times {
		if !m.Before(cut) {
			want++
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000000-07:00"} {
		got := allOrders(t, base+"?modified_since="+urlQuery(cut.Format(layout)))
		if len(got) != want {
			t.Fatalf("modified_since %s: %d orders, want %d (inclusive)", layout, len(got), want)
		}
	}
	if r := get(t, base+"?modified_since=yesterday", testToken); r.status != 400 || !strings.Contains(string(r.body), `"modified_since":["Enter a valid date/time."]`) {
		t.Fatalf("bad modified_since: %d %s", r.status, r.body)
	}
	if r := get(t, base+"?testmode=maybe", testToken); r.status != 400 {
		t.Fatalf("bad testmode: %d %s", r.status, r.body)
	}
	code := all[5].Code
	if got := allOrders(t, base+"?code="+strings.ToLower(code)); len(got) != 1 || got[0].Code != code {
		t.Fatalf("code filter: %d results", len(got))
	}
	desc := allOrders(t, base+"?ordering=-datetime")
	if desc[0].Code != all[len(all)-1].Code {
		t.Fatalf("ordering=-datetime did not reverse")
	}
}

func TestOrderShape(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	placed, err := f.srv.PlaceOrder("acme", "conf", sampleOrder(t, f.srv))
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, f.http.URL+"/api/v1/organizers/acme/events/conf/orders/"+placed.Code+"/?include_canceled_positions=true", testToken)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	wantOrder := "api_meta cancellation_date checkin_attention checkin_text code comment custom_followup_at customer datetime downloads email event expires fees invoice_address last_modified locale payment_date payment_provider payments phone plugin_data positions refunds require_approval sales_channel secret status tax_rounding_mode testmode total url valid_if_pending"
	if got := keys(m); got != wantOrder {
		t.Fatalf("order keys\n got %s\nwant %s", got, wantOrder)
	}
	var positions []map[string]json.RawMessage
	if err := json.Unmarshal(m["positions"], &positions); err != nil {
		t.Fatal(err)
	}
	wantPos := "addon_to answers attendee_email attendee_name attendee_name_parts blocked canceled checkins city company country discount downloads id item order plugin_data positionid price print_logs pseudonymization_id seat secret state street subevent tax_code tax_rate tax_rule tax_value valid_from valid_until variation voucher voucher_budget_use zipcode"
	if got := keys(positions[0]); got != wantPos {
		t.Fatalf("position keys\n got %s\nwant %s", got, wantPos)
	}
	var ia map[string]json.RawMessage
	json.Unmarshal(m["invoice_address"], &ia)
	wantIA := "city company country custom_field internal_reference is_business last_modified name name_parts state street transmission_info transmission_type vat_id vat_id_validated zipcode"
	if got := keys(ia); got != wantIA {
		t.Fatalf("invoice address keys\n got %s\nwant %s", got, wantIA)
	}
	var o Order
	if err := json.Unmarshal(r.body, &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Positions) != 3 {
		t.Fatalf("%d positions, want 3 with include_canceled_positions", len(o.Positions))
	}
	parent, addon := o.Positions[0], o.Positions[1]
	if addon.AddonTo == nil || *addon.AddonTo != parent.ID || parent.ID == int64(parent.PositionID) {
		t.Fatalf("addon_to = %v, want the parent's internal id %d (not its positionid)", addon.AddonTo, parent.ID)
	}
	if parent.AttendeeNameParts["_scheme"] != "given_family" {
		t.Fatalf("name parts %v lack _scheme", parent.AttendeeNameParts)
	}
	if o.Total != "299.00" {
		t.Fatalf("total %s, want 299.00 (canceled position excluded)", o.Total)
	}
	a := parent.Answers[0]
	if a.QuestionIdentifier != "DIET" || strings.Join(a.OptionIdentifiers, ",") != "VEG,GF" || !strings.Contains(string(r.body), `"option_identifiers":["VEG","GF"]`) {
		t.Fatalf("answer %+v", a)
	}
	// Without the flag the canceled position is hidden.
	var short Order
	json.Unmarshal(get(t, f.http.URL+"/api/v1/organizers/acme/events/conf/orders/"+placed.Code+"/", testToken).body, &short)
	if len(short.Positions) != 2 {
		t.Fatalf("%d positions without include_canceled_positions, want 2", len(short.Positions))
	}
	if !strings.HasSuffix(strings.Trim(string(m["datetime"]), `"`), "Z") {
		t.Fatalf("datetime %s not in pretix's UTC form", m["datetime"])
	}
	// An order without invoice address says null.
	ord := sampleOrder(t, f.srv)
	ord.InvoiceAddress = nil
	p2, _ := f.srv.PlaceOrder("acme", "conf", ord)
	r2 := get(t, f.http.URL+"/api/v1/organizers/acme/events/conf/orders/"+p2.Code+"/", testToken)
	if !strings.Contains(string(r2.body), `"invoice_address":null`) {
		t.Fatalf("no invoice_address null in %s", r2.body)
	}
}

func keys[V any](m map[string]V) string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

func urlQuery(s string) string { return strings.ReplaceAll(s, "+", "%2B") }

// sampleOrder is the reference's example: a ticket with an add-on, a
// canceled second ticket, a DIET multiple-choice answer and an invoice
// address.
func sampleOrder(t *testing.T, s *Server) Order {
	t.Helper()
	s.mu.RLock()
	e := s.orgs["acme"].events["conf"]
	r := e.roles()
	var diet Question
	for _, q := range e.questions {
		if q.Identifier == "DIET" {
			diet = q
		}
	}
	s.mu.RUnlock()
	email := "ada@analytical.example"
	name := "Ada Lovelace"
	return Order{
		Email: &email, Status: StatusPaid,
		InvoiceAddress: &InvoiceAddress{Name: name, NameParts: map[string]string{"_scheme": "given_family", "given_name": "Ada", "family_name": "Lovelace"}, Country: "GB"},
		Positions: []Position{
			{Item: r.paidTickets[0].ID, Price: "250.00", AttendeeName: &name, AttendeeEmail: &email,
				AttendeeNameParts: map[string]string{"_scheme": "given_family", "given_name": "Ada", "family_name": "Lovelace"},
				Answers: []Answer{{Question: diet.ID, QuestionIdentifier: "DIET", Answer: "Vegetarian, Gluten-free",
					Options: []int64{diet.Options[0].ID, diet.Options[2].ID}, OptionIdentifiers: []string{"VEG", "GF"}}}},
			{Item: r.addons[0].ID, Price: "49.00", AddonTo: Int(1)},
			{Item: r.paidTickets[0].ID, Price: "120.00", Canceled: true},
		},
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, Options{RateLimitPerMinute: 60, RateLimitBurst: 3}, 1)
	url := f.http.URL + "/api/v1/organizers/acme/events/"
	for i := 0; i < 3; i++ {
		if r := get(t, url, testToken); r.status != 200 {
			t.Fatalf("request %d within burst: %d", i, r.status)
		}
	}
	r := get(t, url, testToken)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("over the limit: %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if !strings.Contains(r.json(t)["detail"].(string), "throttled") {
		t.Fatalf("429 body %s", r.body)
	}
	// Other organizers have their own budget.
	f.srv.AddOrganizer("other", "Other")
	f.srv.AddToken("other", "tok-other", Team{AllEvents: true})
	if r := get(t, f.http.URL+"/api/v1/organizers/other/events/", "tok-other"); r.status != 200 {
		t.Fatalf("other organizer limited too: %d", r.status)
	}
	f.clock.Advance(time.Second)
	if r := get(t, url, testToken); r.status != 200 {
		t.Fatalf("after waiting Retry-After: %d", r.status)
	}
	if r := get(t, url, testToken); r.status != 429 {
		t.Fatalf("refill is one per second, got %d", r.status)
	}
	// Unauthenticated requests are not counted against the organizer.
	f.srv.SetRateLimit(0, 0)
	if _, _, on := f.srv.RateLimit(); on {
		t.Fatal("SetRateLimit(0) left the limit on")
	}
	for i := 0; i < 10; i++ {
		if r := get(t, url, testToken); r.status != 200 {
			t.Fatalf("limit off: %d", r.status)
		}
	}
	log := f.srv.RequestLog("acme")
	limited := 0
	for _, rec := range log {
		if rec.Status == 429 {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("request log has %d 429s, want 2", limited)
	}
}

func TestDefaultRateLimitIsPretixEU(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	if per, burst, on := s.RateLimit(); per != 360 || burst != 6 || !on {
		t.Fatalf("default limit %d/min burst %d on=%v, want 360/min, 6, on", per, burst, on)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 1)
	url := f.http.URL + "/api/v1/organizers/acme/events/"
	f.srv.SetFaults(Faults{ErrorRate: 1})
	r := get(t, url, testToken)
	if r.status < 500 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("error fault: %d %s", r.status, r.header.Get("Content-Type"))
	}
	f.srv.SetFaults(Faults{MalformedRate: 1})
	r = get(t, url, testToken)
	var v any
	if r.status != 200 || json.Unmarshal(r.body, &v) == nil {
		t.Fatalf("malformed fault gave valid JSON: %s", r.body)
	}
	f.srv.SetFaults(Faults{DropRate: 1})
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Token "+testToken)
	// A fresh connection, so the transport does not silently retry.
	oneShot := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := oneShot.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	f.srv.SetFaults(Faults{ErrorRate: 0.5})
	fails := 0
	for i := 0; i < 200; i++ {
		if get(t, url, testToken).status >= 500 {
			fails++
		}
	}
	if fails < 70 || fails > 130 {
		t.Fatalf("ErrorRate 0.5 failed %d of 200", fails)
	}
	if c := f.srv.RequestCount(EndpointEvents); c != 203 {
		t.Fatalf("RequestCount(events) = %d, want 203", c)
	}
}

func TestLegacyServerHasNoOrganizerOrders(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true, LegacyNoOrganizerOrders: true}, 3)
	r := get(t, f.http.URL+"/api/v1/organizers/acme/orders/", testToken)
	if r.status != 404 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("legacy organizer orders: %d %s", r.status, r.header.Get("Content-Type"))
	}
	r = get(t, f.http.URL+"/api/v1/organizers/acme/events/conf/orders/", testToken)
	p := r.page(t)
	if p.Count != 3 || strings.Contains(string(p.Results[0]), `"event":`) {
		t.Fatalf("legacy event orders should lack \"event\": %s", p.Results[0])
	}
}

func TestPathPrefix(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true, PathPrefix: "/tickets/"}, 1)
	if r := get(t, f.http.URL+"/tickets/api/v1/organizers/acme/", testToken); r.status != 200 {
		t.Fatalf("prefixed: %d", r.status)
	}
	if r := get(t, f.http.URL+"/api/v1/organizers/acme/", testToken); r.status != 404 {
		t.Fatalf("unprefixed: %d", r.status)
	}
}

func TestCatalogueEndpoints(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	base := f.http.URL + "/api/v1/organizers/acme/events/"
	var items []Item
	for _, raw := range get(t, base+"conf/items/", testToken).page(t).Results {
		var it Item
		json.Unmarshal(raw, &it)
		items = append(items, it)
	}
	if len(items) != 4 || len(items[0].Variations) != 2 || items[0].Variations[1].Value["de"] != "Studierende" {
		t.Fatalf("items %+v", items)
	}
	var types []string
	for _, raw := range get(t, base+"conf/questions/", testToken).page(t).Results {
		var q Question
		json.Unmarshal(raw, &q)
		types = append(types, q.Type)
		if (q.Type == QChoice || q.Type == QMultipleChoice) && len(q.Options) == 0 {
			t.Fatalf("choice question %s without options", q.Identifier)
		}
	}
	if got := strings.Join(types, ","); got != "C,M,B,S,T,N,D,H,W,F,CC,TEL,B" {
		t.Fatalf("question types %s", got)
	}
	if p := get(t, base+"conf/checkinlists/", testToken).page(t); p.Count != 2 {
		t.Fatalf("%d check-in lists", p.Count)
	}
	if p := get(t, base+"series/subevents/", testToken).page(t); p.Count != 3 {
		t.Fatalf("%d sub-events", p.Count)
	}
	if p := get(t, base+"conf/categories/", testToken).page(t); p.Count != 3 {
		t.Fatalf("%d categories", p.Count)
	}
	var st EventSettings
	json.Unmarshal(get(t, base+"conf/settings/", testToken).body, &st)
	if st.NameScheme != "title_given_middle_family" || strings.Join(st.Locales, ",") != "de,en" {
		t.Fatalf("settings %+v", st)
	}
	var ev map[string]any
	json.Unmarshal(get(t, base+"series/", testToken).body, &ev)
	if ev["has_subevents"] != true || ev["timezone"] != "Europe/Berlin" || ev["currency"] != "EUR" {
		t.Fatalf("event %v", ev)
	}
	if r := get(t, f.http.URL+"/api/v1/version", ""); r.status != 200 || r.json(t)["pretix"] != "2025.10.0" {
		t.Fatalf("version %d %s", r.status, r.body)
	}
}

func TestLatencyFollowsTheClock(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 1)
	f.srv.SetFaults(Faults{Latency: 3 * time.Second})
	done := make(chan response, 1)
	go func() { done <- get(t, f.http.URL+"/api/v1/organizers/acme/", testToken) }()
	if err := f.clock.BlockUntilContext(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("answered before the latency passed")
	case <-time.After(20 * time.Millisecond):
	}
	f.clock.Advance(3 * time.Second)
	if r := <-done; r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
}
