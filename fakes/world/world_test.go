package world

import (
	"encoding/json"
	"net/http"
	"testing"

	pretixfake "pretix-hubspot/fakes/pretix"
)

func TestWorldServesSeededEmulatorsAndControl(t *testing.T) {
	w, err := Start(Options{Orders: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// The pretix API answers with the seeded token and lists the events.
	req, _ := http.NewRequest("GET", w.PretixURL+"/api/v1/organizers/"+Organizer+"/events/", nil)
	req.Header.Set("Authorization", "Token "+PretixToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Count int `json:"count"`
	}
	json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if res.StatusCode != 200 || page.Count != 2 {
		t.Fatalf("events: status %d count %d", res.StatusCode, page.Count)
	}

	// Placing an order through the control API adds one.
	before := len(w.Pretix.Orders(Organizer))
	res, err = http.Post(w.PretixURL+"/_fake/orders?event=conf2026", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ord struct {
		Code string `json:"code"`
	}
	json.NewDecoder(res.Body).Decode(&ord)
	res.Body.Close()
	if res.StatusCode != 200 || ord.Code == "" || len(w.Pretix.Orders(Organizer)) != before+1 {
		t.Fatalf("place order: %d %q", res.StatusCode, ord.Code)
	}
	// Content changes on an order with a live ticket and something else:
	// a refund too large is refused with the reason; canceling the first
	// ticket lowers the total.
	var multi pretixfake.Order
	for i := 0; i < 50 && multi.Code == ""; i++ {
		o, err := w.PlaceOrder("conf2026")
		if err != nil {
			t.Fatal(err)
		}
		live, ticket := 0, false
		for _, p := range o.Positions {
			if !p.Canceled {
				live++
				ticket = ticket || p.AddonTo == nil
			}
		}
		if live > 1 && ticket && o.Total != "0.00" {
			multi = o
		}
	}
	paid, _ := w.Pretix.MarkPaid(Organizer, "conf2026", multi.Code)
	res, _ = http.Post(w.PretixURL+"/_fake/orders/"+multi.Code+"/refund?event=conf2026&amount=100000.00", "application/json", nil)
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("refund of more than was paid: %d", res.StatusCode)
	}
	res, _ = http.Post(w.PretixURL+"/_fake/orders/"+multi.Code+"/cancel-position?event=conf2026", "application/json", nil)
	res.Body.Close()
	if o, _ := w.Pretix.Order(Organizer, "conf2026", multi.Code); res.StatusCode != 200 || o.Total == paid.Total {
		t.Errorf("cancel position: %d, total %s (was %s)", res.StatusCode, o.Total, paid.Total)
	}
	res, _ = http.Post(w.PretixURL+"/_fake/orders/"+ord.Code+"/cancel?event=conf2026", "application/json", nil)
	res.Body.Close()
	if o, _ := w.Pretix.Order(Organizer, "conf2026", ord.Code); o.Status != "c" {
		t.Fatalf("status after cancel %q", o.Status)
	}

	// HubSpot emulator answers on its own listener.
	res, err = http.Get(w.HubSpotURL + "/_fake/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("HubSpot emulator unknown path: %d", res.StatusCode)
	}
}
