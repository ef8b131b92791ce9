package api

import (
	"fmt"
	"strings"
	"testing"
)

func TestCatalogueAPI(t *testing.T) {
	e := mapSetup(t)
	cat := data(t, e.do("GET", mapBase+"/catalogue?object_type=OrderPosition", nil, nil), 200)
	found := map[string]map[string]any{}
	for _, g := range cat["groups"].([]any) {
		g := g.(map[string]any)
		for _, f := range g["fields"].([]any) {
			f := f.(map[string]any)
			if f["category_label"] != g["label"] {
				t.Errorf("%v in group %v", f["key"], g["label"])
			}
			found[f["key"].(string)] = f
		}
	}
	if f := found["question_DIET"]; f == nil || f["picker_label"] != "Question: Dietary requirements [Choose multiple from a list]" || len(f["options"].([]any)) != 3 {
		t.Errorf("question_DIET: %v", f)
	}
	if found["attendee_email"] == nil || found["email"] == nil {
		t.Error("a position mapping reads attendee and order fields")
	}
	order := data(t, e.do("GET", mapBase+"/catalogue", nil, nil), 200)
	if order["object_type"] != "Order" || strings.Contains(fmt.Sprint(order), "attendee_email") {
		t.Errorf("the default (Order) catalogue must not offer attendee fields")
	}
	r := e.do("GET", mapBase+"/catalogue?object_type=Ticket", nil, nil)
	if code, f := errorOf(t, r); r.Status != 400 || code != "object_type_invalid" || f["object_type"] == nil {
		t.Errorf("bad object type: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/organizers/acme/events/nope/catalogue", nil, nil); r.Status != 404 {
		t.Errorf("unknown event: %d", r.Status)
	}
}
