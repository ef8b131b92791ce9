package world

import (
	"encoding/json"
	"net/http"
	"testing"
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
