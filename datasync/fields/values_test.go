package fields

import (
	"strings"
	"testing"

	"pretix-hubspot/pretixwire"
)

// valueCase expects one field's value for the order (pos 0) or for the
// position with that positionid.
type valueCase struct {
	pos  int
	key  string
	want Value
}

func runValueCases(t *testing.T, r *Resolver, o *pretixwire.Order, cases []valueCase) {
	t.Helper()
	for _, tc := range cases {
		c := Context{Order: o}
		if tc.pos > 0 {
			for i := range o.Positions {
				if o.Positions[i].PositionID == tc.pos {
					c.Position = &o.Positions[i]
				}
			}
			if c.Position == nil {
				t.Fatalf("order %s has no position %d", o.Code, tc.pos)
			}
		}
		got, err := r.Value(tc.key, c)
		if err != nil {
			t.Errorf("%s pos %d %s: %v", o.Code, tc.pos, tc.key, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("%s pos %d %s = %s %q %v %v %v, want %s %q %v %v %v", o.Code, tc.pos, tc.key,
				got.Kind, got.Str, got.List, got.Bool, got.Time, tc.want.Kind, tc.want.Str, tc.want.List, tc.want.Bool, tc.want.Time)
		}
	}
}

const zoeEmail = "zoe@xn--ngstrm-hua5l.example"

func TestValuesPaidOrderWithAddon(t *testing.T) {
	r := NewResolver(devcon(t))
	o := loadOrder(t, "Q7XK9_paid_addon.json")
	runValueCases(t, r, o, []valueCase{
		// order and invoice address
		{0, "email", str("zoe.angstrom@analytical.example")},
		{0, "order_email", str("zoe.angstrom@analytical.example")},
		{0, "email_domain", str("analytical.example")},
		{0, "phone", str("+442071234567")},
		{0, "order_code", str("Q7XK9")},
		{0, "event_order_code", str("DEVCON25-Q7XK9")},
		{0, "order_total", num("420.50")},
		{0, "order_refunded_amount", num("0.00")},
		{0, "event_currency", choice("EUR")},
		{0, "order_status", choice("p")},
		{0, "order_date", datetime("2025-03-01T09:12:44.512839Z")},
		{0, "payment_date", datetime("2025-03-02T10:15:00Z")}, // latest confirmed, not the first or the failed one
		{0, "order_locale", choice("de")},
		{0, "presale_order_url", str("https://pretix.eu/acme/devcon25/order/Q7XK9/k24fiuwvu8kxz3y1/")},
		{0, "invoice_address_company", str("Ångström & Łukasiewicz GmbH")},
		{0, "invoice_address_name", str("Dr. Zoë Maria Ångström")},
		{0, "invoice_address_name_title", str("Dr.")},
		{0, "invoice_address_name_given_name", str("Zoë")},
		{0, "invoice_address_name_middle_name", str("Maria")},
		{0, "invoice_address_name_family_name", str("Ångström")},
		{0, "invoice_address_street", str("Unter den Linden 1\nHinterhaus")},
		{0, "invoice_address_zipcode", str("10117")},
		{0, "invoice_address_city", str("Berlin")},
		{0, "invoice_address_state", empty()},
		{0, "invoice_address_country", str("DE")},
		{0, "invoice_address_vat_id", str("DE123456789")},
		{0, "event_slug", str("devcon25")},
		{0, "event_name", str("DevCon 2025")},
		{0, "event_date_from", datetime("2025-04-10T07:00:00Z")},
		{0, "event_date_to", datetime("2025-04-11T16:00:00Z")},

		// position 1: the main ticket
		{1, "ticket_id", str("Q7XK9-1")},
		{1, "position_id", num("23442")},
		{1, "ticket_price", num("250.00")},
		{1, "ticket_status", choice("p")},
		{1, "voucher_code", str("SPEAKER-2025")},
		{1, "attendee_name", str("Dr. Zoë Maria Ångström")},
		{1, "attendee_name_title", str("Dr.")},
		{1, "attendee_name_given_name", str("Zoë")},
		{1, "attendee_name_middle_name", str("Maria")},
		{1, "attendee_name_family_name", str("Ångström")},
		{1, "attendee_email", str(zoeEmail)},
		{1, "attendee_or_order_email", str(zoeEmail)},
		{1, "attendee_company", str("Ångström & Łukasiewicz GmbH")},
		{1, "attendee_street", str("Unter den Linden 1\nHinterhaus")},
		{1, "attendee_country", str("DE")},
		{1, "question_TSHIRT", choice("SIZE-M")},
		{1, "question_DIET", choices("VEG", "GF")},
		{1, "question_NEWSLETTER", boolean(true)},
		{1, "question_JOBTITLE", str("Chief Mathematician")},
		{1, "question_BIO", str("Line one\nLine two")},
		{1, "question_YEARS", num("7.5")},
		{1, "question_BIRTHDAY", date("1990-12-10")},
		{1, "question_ARRIVAL", datetime("2025-04-09T19:30:00Z")},
		{1, "question_SLOT", empty()},
		{1, "question_NATIONALITY", str("SE")},
		{1, "question_MOBILE", str("+4915123456789")},
		{1, "question_PHOTO_OK", boolean(false)},
		{1, "question_SALES_NOTE", empty()},
		{1, "checkin_date_44", datetime("2025-04-10T06:45:23.25Z")}, // first entry; the exit and the later entry don't count
		{1, "checkin_date_45", empty()},
		{1, "product", str("Conference ticket – Regular")},
		{1, "product_id", num("1345")},
		{1, "product_sku", str("DEVCON25-P1345-V17")},
		{1, "ticket_quantity", num("1")},
		{1, "ticket_tax_rate", num("0.00")},
		{1, "product_is_admission", boolean(true)},
		{1, "event_date_from", datetime("2025-04-10T07:00:00Z")},
		{1, "email", str("zoe.angstrom@analytical.example")},

		// position 2: add-on without attendee data inherits from position 1
		{2, "ticket_id", str("Q7XK9-2")},
		{2, "ticket_price", num("49.00")},
		{2, "voucher_code", empty()},
		{2, "attendee_name", str("Dr. Zoë Maria Ångström")},
		{2, "attendee_name_given_name", str("Zoë")},
		{2, "attendee_name_family_name", str("Ångström")},
		{2, "attendee_email", str(zoeEmail)},
		{2, "attendee_or_order_email", str(zoeEmail)},
		{2, "attendee_company", str("Ångström & Łukasiewicz GmbH")},
		{2, "attendee_city", str("Berlin")},
		{2, "attendee_country", str("DE")},
		{2, "question_TSHIRT", choice("SIZE-M")},
		{2, "question_DIET", choices("VEG", "GF")},
		{2, "question_NEWSLETTER", boolean(true)},
		{2, "question_SLOT", str("14:00")},
		{2, "checkin_date_44", empty()}, // check-ins are the add-on's own
		{2, "checkin_date_45", datetime("2025-04-10T14:00:05Z")},
		{2, "product", str("WS Go perf")},
		{2, "product_id", num("1350")},
		{2, "product_sku", str("DEVCON25-P1350")},
		{2, "product_is_admission", boolean(false)},

		// position 3: second ticket, entered under an older name scheme
		{3, "attendee_name", str("Charles Babbage")},
		{3, "attendee_name_title", empty()},
		{3, "attendee_name_given_name", str("Charles")},
		{3, "attendee_name_middle_name", empty()},
		{3, "attendee_name_family_name", str("Babbage")},
		{3, "attendee_email", str("charles@difference.example")},
		{3, "attendee_company", empty()},
		{3, "attendee_country", empty()},
		{3, "question_TSHIRT", choice("SIZE-L")},
		{3, "question_DIET", empty()},
		{3, "question_NEWSLETTER", boolean(false)},
		{3, "checkin_date_44", datetime("2025-04-10T06:50:00Z")},
		{3, "checkin_date_45", datetime("2025-04-10T11:55:00Z")}, // earliest of two entries, listed second
		{3, "product", str("Conference ticket – Student")},
	})
}

func TestValuesPendingOrderWithoutInvoiceAddress(t *testing.T) {
	r := NewResolver(devcon(t))
	o := loadOrder(t, "PEND1_pending_no_invoice.json")
	runValueCases(t, r, o, []valueCase{
		{0, "email", str("anonymous@xn--og8h.example.org")},
		{0, "email_domain", str("xn--og8h.example.org")},
		{0, "phone", empty()},
		{0, "order_status", choice("n")},
		{0, "order_date", datetime("2025-03-05T17:00:00Z")},
		{0, "payment_date", empty()},
		{0, "order_locale", choice("en")},
		{0, "invoice_address_name", empty()},
		{0, "invoice_address_name_given_name", empty()},
		{0, "invoice_address_company", empty()},
		{0, "invoice_address_country", empty()},
		{0, "invoice_address_vat_id", empty()},

		// a canceled position is still exported, with ticket status canceled
		{1, "ticket_status", choice("c")},
		{1, "ticket_price", num("250.00")},
		{1, "attendee_name", str("Charlie de l'Exemple")},
		{1, "attendee_name_given_name", empty()}, // the name was entered as one full name
		{1, "attendee_email", str("jörg@xn--bcher-kva.example")},
		{1, "attendee_country", str("FR")},
		{1, "question_TSHIRT", empty()}, // an answer without text or option is no answer
		{1, "question_DIET", choices("VEGAN")},
		{1, "question_YEARS", num("12")},
		{1, "voucher_code", empty()},

		{2, "ticket_status", choice("n")},
		{2, "attendee_name", str("山田, Taro")}, // built from parts, family-comma scheme
		{2, "attendee_name_given_name", str("Taro")},
		{2, "attendee_name_family_name", str("山田")},
		{2, "attendee_email", empty()},
		{2, "attendee_or_order_email", str("anonymous@xn--og8h.example.org")},
		{2, "attendee_company", empty()},
		{2, "question_DIET", empty()},
	})
}

func TestValuesFullNameSchemeAutoSplit(t *testing.T) {
	ev := devcon(t)
	ev.NameScheme = "full"
	r := NewResolver(ev)
	runValueCases(t, r, loadOrder(t, "PEND1_pending_no_invoice.json"), []valueCase{
		{1, "attendee_name_full_name", str("Charlie de l'Exemple")},
		{1, "attendee_name_given_name", str("Charlie")},
		{1, "attendee_name_family_name", str("de l'Exemple")},
		// entered under a given/family scheme: the real parts win over a split
		{2, "attendee_name_full_name", str("山田, Taro")},
		{2, "attendee_name_given_name", str("Taro")},
		{2, "attendee_name_family_name", str("山田")},
	})
	runValueCases(t, r, loadOrder(t, "Q7XK9_paid_addon.json"), []valueCase{
		{0, "invoice_address_name_full_name", str("Dr. Zoë Maria Ångström")},
		{0, "invoice_address_name_given_name", str("Zoë")},
		{0, "invoice_address_name_family_name", str("Ångström")},
	})
}

func TestValuesCanceledOrderFromOldServer(t *testing.T) {
	r := NewResolver(devcon(t))
	o := loadOrder(t, "LEGCY_canceled_old_server.json")
	runValueCases(t, r, o, []valueCase{
		{0, "event_order_code", str("DEVCON25-LEGCY")}, // no "event" key before pretix 2023.8
		{0, "order_status", choice("c")},
		{0, "payment_date", datetime("2025-02-02T08:00:00Z")}, // paid, later refunded
		{0, "order_locale", choice("de-informal")},
		{0, "invoice_address_name", str("Ada Lovelace")}, // salutation is not part of the name
		{0, "invoice_address_name_title", empty()},
		{0, "invoice_address_name_given_name", str("Ada")},
		{0, "invoice_address_name_family_name", str("Lovelace")},
		{0, "invoice_address_company", empty()},
		{0, "invoice_address_country", str("GB")},
		{0, "email", str("ada@lovelace.example")},

		{1, "ticket_status", choice("c")}, // position not canceled itself, but its order is
		{1, "attendee_name", str("Ada Lovelace")},
		{1, "attendee_email", empty()},
		{1, "attendee_or_order_email", str("ada@lovelace.example")},
		{1, "question_TSHIRT", choice("SIZE-S")}, // option ids only: identifiers from the catalogue
		{1, "question_DIET", choices("VEGAN", "GF")},
		{1, "question_NEWSLETTER", boolean(true)},
		{1, "checkin_date_44", datetime("2025-04-10T07:59:59Z")}, // no type on old servers = entry

		{2, "attendee_name", str("Ada Lovelace")},
		{2, "attendee_name_given_name", str("Ada")},
		{2, "attendee_company", str("Analytical Engines Ltd")},
		{2, "attendee_city", str("Oxford")},        // own value wins
		{2, "attendee_country", str("GB")},         // the parent's country, not its name (pretix bug)
		{2, "question_NEWSLETTER", boolean(false)}, // own answer wins
		{2, "question_TSHIRT", choice("SIZE-S")},
		{2, "product", str("Parkplatz")}, // no internal name, no English name
		{2, "product_is_admission", boolean(false)},
		{2, "checkin_date_44", empty()},
	})
}

func TestGetterMatchesValue(t *testing.T) {
	r := NewResolver(devcon(t))
	o := loadOrder(t, "Q7XK9_paid_addon.json")
	for _, f := range ForObject(r.Fields(), ObjectPosition) {
		g, err := r.Getter(f.Key, ObjectPosition)
		if err != nil {
			t.Fatal(err)
		}
		if g.Field().Key != f.Key {
			t.Errorf("getter of %s describes %s", f.Key, g.Field().Key)
		}
		for i := range o.Positions {
			c := Context{Order: o, Position: &o.Positions[i]}
			a, errA := g.Value(c)
			b, errB := r.Value(f.Key, c)
			if errA != nil || errB != nil || !a.Equal(b) {
				t.Errorf("%s: getter %v/%v, Value %v/%v", f.Key, a, errA, b, errB)
			}
			if f.Type.IsChoice() && !a.IsEmpty() && a.Kind != KindChoice && a.Kind != KindChoices {
				t.Errorf("%s: choice field gave kind %s", f.Key, a.Kind)
			}
		}
	}
}

// TestRefundedAmount: only refunds pretix has carried out count.
func TestRefundedAmount(t *testing.T) {
	r := NewResolver(devcon(t))
	for _, tc := range []struct {
		name    string
		refunds []pretixwire.Refund
		want    string
		wantErr bool
	}{
		{"none", nil, "0.00", false},
		{"one done", []pretixwire.Refund{{State: "done", Amount: "49.00"}}, "49.00", false},
		{"done ones add up, others do not count", []pretixwire.Refund{
			{State: "done", Amount: "10.10"}, {State: "transit", Amount: "5.00"}, {State: "failed", Amount: "7.00"},
			{State: "canceled", Amount: "1.00"}, {State: "done", Amount: "0.20"}}, "10.30", false},
		{"malformed amount", []pretixwire.Refund{{LocalID: 2, State: "done", Amount: "ten"}}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := loadOrder(t, "Q7XK9_paid_addon.json")
			o.Refunds = tc.refunds
			got, err := r.Value("order_refunded_amount", Context{Order: o})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "not a number") {
					t.Fatalf("err = %v, want a malformed amount", err)
				}
				return
			}
			if err != nil || !got.Equal(num(tc.want)) {
				t.Fatalf("got %q, %v; want %s", got.Str, err, tc.want)
			}
		})
	}
}
