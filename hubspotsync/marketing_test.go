package hubspotsync

import (
	"strings"
	"testing"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/models"
)

const (
	epMEUpsert      = "POST /marketing/marketing-events/{version}/events/upsert"
	epAttendByID    = "POST /marketing/marketing-events/{version}/attendance/{externalEventId}/{subscriberState}/create"
	epAttendByEmail = "POST /marketing/marketing-events/{version}/attendance/{externalEventId}/{subscriberState}/email-create"
)

// marketingOn turns marketing events on for the harness's event.
func (h *harness) marketingOn(registerOn string) {
	h.t.Helper()
	h.must(h.db.Save(&models.MarketingEventSettings{EventID: h.event, Enabled: true, EmailFrom: models.MarketingEmailAttendee,
		RegisterOn: registerOn, EventType: "Conference", UpdatedAt: t0}).Error)
}

// participants returns the emulator's participation of one marketing event
// by contact email: state and history.
func (h *harness) participants(external string) map[string]hubspotfake.Participant {
	h.t.Helper()
	out := map[string]hubspotfake.Participant{}
	for _, me := range h.fake.MarketingEvents(hubA) {
		if me.ExternalEventID == external {
			for _, p := range me.Participants {
				out[p.Email] = p
			}
			return out
		}
	}
	h.t.Fatalf("no marketing event %s in the emulator", external)
	return nil
}

func history(p hubspotfake.Participant) string { return strings.Join(p.History, ",") }

// attendeeSet maps the buyer and every attendee onto contacts, so the
// attendance calls address contacts by id.
func (h *harness) attendeeSet() {
	h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, "invoice_address_name_given_name>firstname:overwrite")
	h.mapping(2, models.SourcePosition, "contacts", "attendee_email", "email", nil, "attendee_name_given_name>firstname:if_empty")
}

func TestMarketingEventRegistersAttendeesOfANewOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.attendeeSet()
	h.marketingOn(models.MarketingRegisterPlaced)
	h.addOrder(ord{code: "M1", email: "buyer@example.org", status: "n", given: "Bea", at: t0.Add(time.Hour), positions: []pos{
		{id: 11, email: "ann@example.org", given: "Ann"},
		{id: 12, email: "", given: "NoMail"},                       // falls back to the buyer's email
		{id: 13, item: 2, email: "addon@example.org", addonTo: 11}, // an add-on is no attendee
		{id: 14, item: 2, email: "merch@example.org"}}})            // nor is a product without admission
	h.sync("M1")
	h.done("M1")

	mes := h.fake.MarketingEvents(hubA)
	if len(mes) != 1 {
		t.Fatalf("marketing events = %+v", mes)
	}
	me := mes[0]
	if me.ExternalEventID != "conf" || me.ExternalAccountID != "pretix.example/api/v1/acme" || me.Name != "Conf 2026" ||
		me.Type != "Conference" || me.Start != "2026-12-01T08:00:00Z" || me.Cancelled {
		t.Errorf("marketing event = %+v", me)
	}
	ps := h.participants("conf")
	if len(ps) != 2 || ps["ann@example.org"].State != "REGISTERED" || ps["buyer@example.org"].State != "REGISTERED" {
		t.Fatalf("participants = %+v", ps)
	}
	if ps["ann@example.org"].ContactID != h.contact(hubA, "ann@example.org").ID {
		t.Errorf("ann registered as contact %s", ps["ann@example.org"].ContactID)
	}
	// Known contacts go by id: one upsert and one registration call.
	if n, m, e := h.requests(epMEUpsert), h.requests(epAttendByID), h.requests(epAttendByEmail); n != 1 || m != 1 || e != 0 {
		t.Errorf("calls: upsert %d, by id %d, by email %d; want 1, 1, 0", n, m, e)
	}
	var parts int
	for _, r := range h.results("M1") {
		if r.ObjectType == objectMarketingEvents {
			parts++
			if r.IDValue != models.ParticipationRegistered || r.Action != actionCreated || !strings.Contains(r.ExternalLink, "/record/0-54/") {
				t.Errorf("participation result = %+v", r)
			}
		}
	}
	if parts != 2 {
		t.Errorf("%d participation results, want 2", parts)
	}

	// Nothing changed: nothing is sent again, not even the event.
	h.sync("M1")
	h.done("M1")
	if n, m := h.requests(epMEUpsert), h.requests(epAttendByID); n != 1 || m != 1 {
		t.Errorf("after an unchanged re-sync: upsert %d, attendance %d calls; want 1, 1", n, m)
	}
	if got := history(h.participants("conf")["ann@example.org"]); got != "REGISTERED" {
		t.Errorf("history = %s", got)
	}

	// The pretix URL is edited: the next change goes to the same marketing
	// event.
	h.must(h.db.Exec(`UPDATE pretix_organizers SET base_url = 'https://tickets.example/api/v1/'`).Error)
	h.addOrder(ord{code: "M1", email: "buyer@example.org", status: "n", given: "Bea", at: t0.Add(time.Hour), positions: []pos{
		{id: 11, email: "ann@example.org", given: "Ann", checkins: []time.Time{t0.Add(50 * time.Hour)}},
		{id: 12, email: "", given: "NoMail"}}})
	h.sync("M1")
	h.done("M1")
	if mes := h.fake.MarketingEvents(hubA); len(mes) != 1 {
		t.Fatalf("after the URL edit: %d marketing events", len(mes))
	}
	if got := history(h.participants("conf")["ann@example.org"]); got != "REGISTERED,ATTENDED" {
		t.Errorf("after the URL edit: history %s", got)
	}
}

func TestMarketingEventStaleContactIDGoesByEmail(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	// Only the buyer is a contact mapping: Ann is registered by email, and
	// HubSpot's answer gives her contact id, kept for her next change.
	h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, "invoice_address_name_given_name>firstname:overwrite")
	h.marketingOn(models.MarketingRegisterPlaced)
	o := ord{code: "Z1", email: "buyer@example.org", at: t0.Add(time.Hour), positions: []pos{{id: 71, email: "ann@example.org"}}}
	h.addOrder(o)
	h.sync("Z1")
	h.done("Z1")
	var c models.MarketingContact
	h.must(h.db.Take(&c, "email = ?", "ann@example.org").Error)
	if c.ContactID != h.contact(hubA, "ann@example.org").ID {
		t.Fatalf("stored contact id %q", c.ContactID)
	}
	// The contact is merged away in HubSpot: its id is gone. The scan
	// still arrives, by email.
	h.must(h.db.Exec(`UPDATE marketing_contacts SET contact_id = '999'`).Error)
	o.positions[0].checkins = []time.Time{t0.Add(50 * time.Hour)}
	h.addOrder(o)
	h.sync("Z1")
	h.done("Z1")
	if got := history(h.participants("conf")["ann@example.org"]); got != "REGISTERED,ATTENDED" {
		t.Errorf("history %s", got)
	}
	if n, m := h.requests(epAttendByID), h.requests(epAttendByEmail); n != 1 || m != 2 {
		t.Errorf("calls: by id %d, by email %d; want 1 (refused), 2", n, m)
	}
	h.must(h.db.Take(&c, "email = ?", "ann@example.org").Error)
	if c.ContactID == "999" || c.State != models.ParticipationAttended {
		t.Errorf("stored %+v", c)
	}
}

func TestMarketingEventLifecycle(t *testing.T) {
	scan := t0.Add(48 * time.Hour)
	for _, tc := range []struct {
		name       string
		registerOn string
		steps      []ord
		want       map[string]string // email → history
		joinedAt   string            // ann's, when attended
	}{
		{name: "registered only once paid", registerOn: models.MarketingRegisterPaid, steps: []ord{
			{status: "n", positions: []pos{{id: 21, email: "ann@example.org"}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED"}},
		{name: "pending with the paid trigger registers nobody", registerOn: models.MarketingRegisterPaid, steps: []ord{
			{status: "n", positions: []pos{{id: 21, email: "ann@example.org"}}},
		}, want: map[string]string{}},
		{name: "a canceled position cancels that attendee only", registerOn: models.MarketingRegisterPlaced, steps: []ord{
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "bob@example.org"}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "bob@example.org", cancel: true}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED", "bob@example.org": "REGISTERED,CANCELLED"}},
		{name: "one person, two tickets: one canceled keeps them registered, both cancel", registerOn: models.MarketingRegisterPlaced, steps: []ord{
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "ann@example.org"}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "ann@example.org", cancel: true}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org", cancel: true}, {id: 22, email: "ann@example.org", cancel: true}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED,CANCELLED"}},
		{name: "a canceled order cancels everyone", registerOn: models.MarketingRegisterPlaced, steps: []ord{
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "bob@example.org"}}},
			{status: "c", positions: []pos{{id: 21, email: "ann@example.org"}, {id: 22, email: "bob@example.org"}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED,CANCELLED", "bob@example.org": "REGISTERED,CANCELLED"}},
		{name: "a check-in marks attended; a second changes nothing", registerOn: models.MarketingRegisterPlaced, steps: []ord{
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org"}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org", checkins: []time.Time{scan}}}},
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org", checkins: []time.Time{scan, scan.Add(3 * time.Hour)}}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED,ATTENDED"}, joinedAt: "1795341600000"},
		{name: "scanned before its first sync: registered, then attended", registerOn: models.MarketingRegisterPaid, steps: []ord{
			{status: "p", positions: []pos{{id: 21, email: "ann@example.org", checkins: []time.Time{scan}}}},
		}, want: map[string]string{"ann@example.org": "REGISTERED,ATTENDED"}, joinedAt: "1795341600000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.connect(hubA)
			h.attendeeSet()
			h.marketingOn(tc.registerOn)
			for _, o := range tc.steps {
				o.code, o.email, o.given, o.at = "L1", "buyer@example.org", "Bea", t0.Add(time.Hour)
				h.addOrder(o)
				h.sync("L1")
				h.done("L1")
			}
			got := map[string]string{}
			for _, me := range h.fake.MarketingEvents(hubA) {
				for _, p := range me.Participants {
					got[p.Email] = history(p)
					if p.Email == "ann@example.org" && tc.joinedAt != "" && p.JoinedAt != tc.joinedAt {
						t.Errorf("joinedAt = %s, want %s", p.JoinedAt, tc.joinedAt)
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("participants = %v, want %v", got, tc.want)
			}
			for email, want := range tc.want {
				if got[email] != want {
					t.Errorf("%s: history %q, want %q", email, got[email], want)
				}
			}
		})
	}
}

func TestMarketingEventPerDateOfASeries(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.must(h.db.Exec(`UPDATE pretix_events SET has_subevents = 1, event_json = ?, subevents_json = ? WHERE id = ?`,
		`{"slug":"conf","name":{"en":"Conf Tour"},"currency":"EUR","timezone":"Europe/Berlin","has_subevents":true}`,
		`[{"id":7,"name":{"en":"Conf Tour"},"date_from":"2026-12-01T09:00:00+01:00","date_to":"2026-12-01T18:00:00+01:00","active":true},
		  {"id":8,"name":{"en":"Conf Tour"},"date_from":"2026-12-08T09:00:00+01:00","active":false}]`, h.event).Error)
	h.connect(hubA)
	h.attendeeSet()
	h.marketingOn(models.MarketingRegisterPlaced)
	h.addOrder(ord{code: "S1", email: "buyer@example.org", at: t0.Add(time.Hour), positions: []pos{
		{id: 31, email: "ann@example.org", subevent: 7}, {id: 32, email: "bob@example.org", subevent: 8}}})
	h.addOrder(ord{code: "S2", email: "cid@example.org", at: t0.Add(2 * time.Hour), positions: []pos{{id: 33, email: "cid@example.org", subevent: 7}}})
	h.sync("S1", "S2")
	h.done("S1", "S2")

	byExt := map[string]hubspotfake.MarketingEvent{}
	for _, me := range h.fake.MarketingEvents(hubA) {
		byExt[me.ExternalEventID] = me
	}
	first, second := byExt["conf_7"], byExt["conf_8"]
	if len(byExt) != 2 || first.Name != "Conf Tour – 1 Dec 2026 09:00" || first.End != "2026-12-01T17:00:00Z" || first.Cancelled ||
		second.Name != "Conf Tour – 8 Dec 2026 09:00" || !second.Cancelled {
		t.Fatalf("marketing events = %+v", byExt)
	}
	if len(first.Participants) != 2 || len(second.Participants) != 1 || second.Participants[0].Email != "bob@example.org" {
		t.Errorf("participants: first %+v, second %+v", first.Participants, second.Participants)
	}
	// One upsert for both dates; one registration call per date.
	if n, m := h.requests(epMEUpsert), h.requests(epAttendByID); n != 1 || m != 2 {
		t.Errorf("calls: upsert %d, attendance %d; want 1, 2", n, m)
	}
}

func TestMarketingEventMissingScopeIsAMisconfiguration(t *testing.T) {
	h := newHarness(t, harnessOpts{fake: hubspotfake.Options{Portals: []hubspotfake.Portal{{ID: hubA, Name: "EU", UIDomain: "app-eu1.hubspot.com",
		TimeZone: "Europe/Berlin", UnavailableScopes: []string{"crm.objects.marketing_events.write"}}}}})
	h.connect(hubA)
	h.attendeeSet()
	h.marketingOn(models.MarketingRegisterPlaced)
	h.addOrder(ord{code: "X1", email: "buyer@example.org", at: t0.Add(time.Hour), positions: []pos{{id: 41, email: "ann@example.org"}}})
	h.sync("X1")
	j := h.failed("X1", models.FailureConfig, "crm.objects.marketing_events.write")
	if !strings.HasPrefix(j.LastError, "Marketing events: ") {
		t.Errorf("error = %q", j.LastError)
	}
	if len(h.fake.MarketingEvents(hubA)) != 0 {
		t.Error("a marketing event was created without the scope")
	}
}

func TestMarketingEventBadAttendeeFailsOnlyItsOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	// Only the buyer is a contact: attendees go by email, and HubSpot
	// refuses one of them in a 207.
	h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil, "invoice_address_name_given_name>firstname:overwrite")
	h.marketingOn(models.MarketingRegisterPlaced)
	h.addOrder(ord{code: "B1", email: "one@example.org", at: t0.Add(time.Hour), positions: []pos{{id: 51, email: "ann@example.org"}}})
	h.addOrder(ord{code: "B2", email: "two@example.org", at: t0.Add(2 * time.Hour), positions: []pos{{id: 52, email: "broken@nowhere"}}})
	h.addOrder(ord{code: "B3", email: "three@example.org", at: t0.Add(3 * time.Hour), positions: []pos{{id: 53, email: "bob@example.org"}}})
	h.sync("B1", "B2", "B3")
	h.done("B1", "B3")
	h.failed("B2", models.FailurePermanent, "Email address broken@nowhere is invalid")
	if n := h.requests(epAttendByEmail); n != 1 {
		t.Errorf("%d by-email calls, want 1 (batched across orders)", n)
	}
	ps := h.participants("conf")
	if len(ps) != 2 || ps["ann@example.org"].State != "REGISTERED" || ps["bob@example.org"].State != "REGISTERED" {
		t.Errorf("participants = %+v", ps)
	}
}

func TestMarketingEventContactWithTicketsInTwoOrders(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.connect(hubA)
	h.attendeeSet()
	h.marketingOn(models.MarketingRegisterPlaced)
	h.addOrder(ord{code: "T1", email: "ann@example.org", at: t0.Add(time.Hour), positions: []pos{{id: 61, email: "ann@example.org"}}})
	h.addOrder(ord{code: "T2", email: "ann@example.org", at: t0.Add(2 * time.Hour), positions: []pos{{id: 62, email: "ann@example.org"}}})
	h.sync("T1")
	h.sync("T2")
	h.done("T1", "T2")
	// The first order is canceled: Ann still holds a ticket.
	h.addOrder(ord{code: "T1", email: "ann@example.org", status: "c", at: t0.Add(time.Hour), positions: []pos{{id: 61, email: "ann@example.org"}}})
	h.sync("T1")
	h.done("T1")
	if got := history(h.participants("conf")["ann@example.org"]); got != "REGISTERED" {
		t.Fatalf("after one of two orders canceled: %s", got)
	}
	// The second too: now she is cancelled, once.
	h.addOrder(ord{code: "T2", email: "ann@example.org", status: "c", at: t0.Add(2 * time.Hour), positions: []pos{{id: 62, email: "ann@example.org"}}})
	h.sync("T2")
	h.done("T2")
	if got := history(h.participants("conf")["ann@example.org"]); got != "REGISTERED,CANCELLED" {
		t.Fatalf("after both orders canceled: %s", got)
	}
}
