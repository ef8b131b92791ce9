package hubspotsync

import (
	"encoding/json"
	"testing"
	"time"
)

// The write plan of an order shows HubSpot's live values, what each row
// would do with them and the exact request per record, and writes nothing.
func TestWritePlanShowsLiveValuesAndWritesNothing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	existing := h.fake.SeedRecord(hubA, "contacts", map[string]string{"email": "old@example.org", "firstname": "Olga", "lastname": "Oldname",
		"orders": "PRE", "diets": "halal"})
	h.addOrder(ord{code: "P1", email: "old@example.org", given: "Olivia", family: "Newname", at: t0.Add(time.Hour),
		positions: []pos{{id: 2001, email: "new@example.org", diet: []string{"VEG"}}}})
	before := snapshot(h.fake, hubA)
	writes := func() int {
		return h.requests(epCreate) + h.requests(epUpdate) + h.requests("POST /crm/objects/{version}/contacts/batch/upsert")
	}
	w0 := writes()

	plan, err := h.prov.WritePlan(h.ctx, h.event, h.orders["P1"])
	h.must(err)
	if plan.Problem != "" || len(plan.Records) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	if writes() != w0 || snapshot(h.fake, hubA) != before {
		t.Fatal("the write plan wrote to HubSpot")
	}
	if n := len(h.results("P1")); n != 0 {
		t.Errorf("the write plan stored %d results", n)
	}

	buyer, attendee := plan.Records[0], plan.Records[1]
	if !buyer.Exists || buyer.RecordID != existing || buyer.Action != actionUpdated || buyer.Link == "" {
		t.Fatalf("buyer record %+v", buyer)
	}
	for _, tc := range []struct{ prop, current, send, result string }{
		{"firstname", "Olga", "Olivia", planOverwrite},
		{"lastname", "Oldname", "Newname", planKeep},
		{"first_order", "", "P1", planKeep},
		{"last_order", "", "P1", planOverwrite},
		{"source_event", "", "conf", planFill},
		{"orders", "PRE", "P1", planAppend},
	} {
		var got *PlannedProperty
		for i := range buyer.Properties {
			if buyer.Properties[i].Property == tc.prop {
				got = &buyer.Properties[i]
			}
		}
		if got == nil || got.Current != tc.current || got.Send != tc.send || got.Result != tc.result {
			t.Errorf("%s: %+v, want current %q send %q result %s", tc.prop, got, tc.current, tc.send, tc.result)
		}
	}
	body, _ := json.Marshal(buyer.Request)
	want := `{"method":"POST","path":"/crm/objects/2026-09/contacts/batch/update","body":{"inputs":[{"id":"` + existing +
		`","objectWriteTraceId":"plan-1","properties":{"firstname":"Olivia","last_order":"P1","orders":"PRE;P1","source_event":"conf"}}]}}`
	if string(body) != want {
		t.Errorf("buyer request\n got %s\nwant %s", body, want)
	}

	if attendee.Exists || attendee.Action != actionCreated || attendee.IDValue != "new@example.org" || attendee.Request == nil ||
		attendee.Request.Path != "/crm/objects/2026-09/contacts/batch/create" || len(attendee.Properties) != 1 ||
		attendee.Properties[0].Result != planCreate || attendee.Properties[0].Send != "vegetarian" {
		t.Errorf("attendee record %+v", attendee)
	}

	// Synced, the same order has nothing left to send.
	h.sync("P1")
	h.done("P1")
	plan, err = h.prov.WritePlan(h.ctx, h.event, h.orders["P1"])
	h.must(err)
	for _, rec := range plan.Records {
		if rec.Action != planUnchanged || rec.Request != nil {
			t.Errorf("after the sync %s %s: %s %+v", rec.ObjectType, rec.IDValue, rec.Action, rec.Request)
		}
	}
}
