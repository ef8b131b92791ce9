package fields

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretixwire"
)

func wantCode(t *testing.T, err error, code string, kind apperr.Kind) *apperr.Error {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok {
		t.Fatalf("got %v, want an *apperr.Error with code %s", err, code)
	}
	if ae.Code != code || ae.Kind != kind {
		t.Fatalf("got code %s kind %s (%v), want %s %s", ae.Code, ae.Kind, err, code, kind)
	}
	if !strings.HasSuffix(ae.Message, ".") || len(ae.Message) < 40 {
		t.Errorf("message should say what is wrong and what to do: %q", ae.Message)
	}
	return ae
}

func TestGetterValidatesMappings(t *testing.T) {
	r := NewResolver(devcon(t))
	_, err := r.Getter("question_SHOE_SIZE", ObjectPosition)
	ae := wantCode(t, err, CodeFieldUnknown, apperr.KindInvalid)
	if !strings.Contains(ae.Message, "question_SHOE_SIZE") || ae.Fields["pretix_field"] == "" {
		t.Errorf("unknown-field error should name the field: %+v", ae)
	}

	_, err = r.Getter("attendee_email", ObjectOrder)
	ae = wantCode(t, err, CodeFieldNeedsPosition, apperr.KindInvalid)
	if !strings.Contains(ae.Message, "Attendee email") {
		t.Errorf("needs-position error should name the field label: %q", ae.Message)
	}

	_, err = r.Getter("question_CV", ObjectPosition)
	wantCode(t, err, CodeFieldUnknown, apperr.KindInvalid)

	g, err := r.Getter("order_email", ObjectOrder)
	if err != nil || g.Field().Key != "email" {
		t.Errorf("alias order_email: %v %v", g.Field().Key, err)
	}

	o := loadOrder(t, "Q7XK9_paid_addon.json")
	g, err = r.Getter("ticket_id", ObjectPosition)
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Value(Context{Order: o})
	wantCode(t, err, CodeFieldNeedsPosition, apperr.KindInvalid)
	_, err = g.Value(Context{})
	if apperr.KindOf(err) != apperr.KindInternal {
		t.Errorf("no order is a bug on our side, got %v", err)
	}
	_, err = r.Value("attendee_name", Context{Order: o})
	wantCode(t, err, CodeFieldNeedsPosition, apperr.KindInvalid)
}

func orderJSON(positions string) []byte {
	return []byte(`{"code": "ERR01", "status": "p", "email": "x@example.org", "positions": [` + positions + `]}`)
}

func TestValueErrors(t *testing.T) {
	ev := devcon(t)
	ev.HasSubevents = true
	ev.SubEvents = []pretixwire.SubEvent{{ID: 7, Name: pretixwire.LocalizedText{"en": "Day 1"}, DateFrom: utc("2025-05-01T08:00:00Z")}}
	r := NewResolver(ev)
	tests := []struct {
		name     string
		position string
		key      string
		code     string
		stale    bool
	}{
		{"unknown product", `{"id": 1, "positionid": 1, "item": 9999}`, "product", CodeCatalogueStale, true},
		{"unknown product admission", `{"id": 1, "positionid": 1, "item": 9999}`, "product_is_admission", CodeCatalogueStale, true},
		{"unknown variation", `{"id": 1, "positionid": 1, "item": 1345, "variation": 99}`, "product", CodeCatalogueStale, true},
		{"unknown option id", `{"id": 1, "positionid": 1, "item": 1345, "answers": [{"question": 12, "answer": "XL", "options": [999]}]}`, "question_TSHIRT", CodeCatalogueStale, true},
		{"unknown event date", `{"id": 1, "positionid": 1, "item": 1345, "subevent": 8}`, "event_date_from", CodeCatalogueStale, true},
		{"number not a number", `{"id": 1, "positionid": 1, "item": 1345, "answers": [{"question": 17, "answer": "seven"}]}`, "question_YEARS", CodeValueMalformed, false},
		{"number with comma", `{"id": 1, "positionid": 1, "item": 1345, "answers": [{"question": 17, "answer": "7,5"}]}`, "question_YEARS", CodeValueMalformed, false},
		{"date in German format", `{"id": 1, "positionid": 1, "item": 1345, "answers": [{"question": 18, "answer": "10.12.1990"}]}`, "question_BIRTHDAY", CodeValueMalformed, false},
		{"datetime without zone", `{"id": 1, "positionid": 1, "item": 1345, "answers": [{"question": 19, "answer": "2025-04-09 21:30"}]}`, "question_ARRIVAL", CodeValueMalformed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := pretixwire.DecodeOrder(orderJSON(tc.position))
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Value(tc.key, Context{Order: o, Position: &o.Positions[0]})
			kind := apperr.KindInvalid
			if tc.stale {
				kind = apperr.KindNotFound
			}
			ae := wantCode(t, err, tc.code, kind)
			if errors.Is(err, ErrStaleCatalogue) != tc.stale {
				t.Errorf("errors.Is(ErrStaleCatalogue) = %v, want %v", !tc.stale, tc.stale)
			}
			if !tc.stale && !strings.Contains(ae.Message, "ERR01") {
				t.Errorf("malformed-value error should name the order: %q", ae.Message)
			}
		})
	}
}

func TestEventSeriesDates(t *testing.T) {
	ev := devcon(t)
	ev.HasSubevents = true
	ev.SubEvents = []pretixwire.SubEvent{{ID: 7, DateFrom: utc("2025-05-01T08:00:00Z"), DateTo: utc("2025-05-01T17:00:00Z")}, {ID: 8, DateFrom: utc("2025-05-02T08:00:00Z")}}
	r := NewResolver(ev)
	o, err := pretixwire.DecodeOrder(orderJSON(`{"id": 1, "positionid": 1, "item": 1345, "subevent": 7}, {"id": 2, "positionid": 2, "item": 1345, "subevent": 8}`))
	if err != nil {
		t.Fatal(err)
	}
	runValueCases(t, r, o, []valueCase{
		{1, "event_date_from", datetime("2025-05-01T08:00:00Z")},
		{1, "event_date_to", datetime("2025-05-01T17:00:00Z")},
		{2, "event_date_from", datetime("2025-05-02T08:00:00Z")},
		{2, "event_date_to", empty()},
	})
	_, err = r.Getter("event_date_from", ObjectOrder)
	wantCode(t, err, CodeFieldNeedsPosition, apperr.KindInvalid)
}

func TestProductIDWithoutCatalogue(t *testing.T) {
	r := NewResolver(EventInfo{Slug: "bare"})
	o, err := pretixwire.DecodeOrder(orderJSON(`{"id": 1, "positionid": 1, "item": 9999}`))
	if err != nil {
		t.Fatal(err)
	}
	runValueCases(t, r, o, []valueCase{{1, "product_id", num("9999")}, {0, "event_order_code", str("BARE-ERR01")}})
}

func TestDecodeOrder(t *testing.T) {
	if _, err := pretixwire.DecodeOrder([]byte(`{"code": 5}`)); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("malformed order: %v", err)
	}
	if _, err := pretixwire.DecodeOrder([]byte(`not json`)); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("not json: %v", err)
	}
	o := loadOrder(t, "Q7XK9_paid_addon.json")
	if p := o.Parent(&o.Positions[1]); p == nil || p.ID != 23442 {
		t.Errorf("add-on parent %+v", p)
	}
	if o.Parent(&o.Positions[0]) != nil || o.Parent(nil) != nil {
		t.Error("tickets have no parent")
	}
	if o.Payments[2].PaymentDate.Location().String() != "UTC" || o.Positions[0].Checkins[0].Datetime.Location().String() != "UTC" {
		t.Error("times must be UTC after decoding")
	}
}

// Group orders can be large; parent lookup switches to a map there.
func TestDecodeOrderManyAddons(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		if i%2 == 1 {
			b.WriteString(`{"id": ` + strconv.Itoa(1000+i) + `, "positionid": ` + strconv.Itoa(i) + `, "item": 1345, "attendee_name": "Guest ` + strconv.Itoa(i) + `"}`)
		} else {
			b.WriteString(`{"id": ` + strconv.Itoa(1000+i) + `, "positionid": ` + strconv.Itoa(i) + `, "item": 1350, "addon_to": ` + strconv.Itoa(1000+i-1) + `}`)
		}
	}
	o, err := pretixwire.DecodeOrder(orderJSON(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(devcon(t))
	runValueCases(t, r, o, []valueCase{{40, "attendee_name", str("Guest 39")}, {2, "attendee_name", str("Guest 1")}, {39, "attendee_name", str("Guest 39")}})
}

func TestEventOrderCodeFromOrderWhenEventHasNoSlug(t *testing.T) {
	o, err := pretixwire.DecodeOrder([]byte(`{"code": "ABC12", "event": "summer-fest", "status": "p"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(EventInfo{})
	runValueCases(t, r, o, []valueCase{{0, "event_order_code", str("SUMMER-FEST-ABC12")}})
	if r.Event().Slug != "" {
		t.Error("Event() should return the resolver's event")
	}
}
