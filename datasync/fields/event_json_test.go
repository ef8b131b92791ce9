package fields

import (
	"encoding/json"
	"testing"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretixwire"
)

func TestEventInfoFromJSON(t *testing.T) {
	ev := devcon(t)
	if ev.Slug != "devcon25" || ev.Currency != "EUR" || ev.Timezone != "Europe/Berlin" || ev.HasSubevents {
		t.Errorf("event basics wrong: %+v", ev)
	}
	if !ev.DateFrom.Equal(utc("2025-04-10T07:00:00Z")) || ev.DateFrom.Location().String() != "UTC" {
		t.Errorf("date_from %v, want 07:00 UTC", ev.DateFrom)
	}
	if ev.Locale != "en" || len(ev.Locales) != 2 || ev.Locales[1] != "de" || ev.NameScheme != "title_given_middle_family" {
		t.Errorf("settings wrong: locale %q locales %v scheme %q", ev.Locale, ev.Locales, ev.NameScheme)
	}
	if len(ev.Items) != 3 || len(ev.Items[0].Variations) != 2 || ev.Items[1].InternalName != "WS Go perf" {
		t.Errorf("items wrong: %+v", ev.Items)
	}
	if len(ev.Questions) != 14 || len(ev.CheckinLists) != 2 || ev.CheckinLists[1].Name != "Workshop room" {
		t.Errorf("questions %d, lists %+v", len(ev.Questions), ev.CheckinLists)
	}
	if ev.VoucherCodes[501] != "SPEAKER-2025" {
		t.Errorf("voucher codes %v", ev.VoucherCodes)
	}
	var q *pretixwire.Question
	for i := range ev.Questions {
		if ev.Questions[i].Identifier == "PHOTO_OK" {
			q = &ev.Questions[i]
		}
	}
	if q == nil || !q.AskDuringCheckin || Type(q.Type) != TypeBool {
		t.Errorf("PHOTO_OK decoded as %+v", q)
	}
}

func TestEventInfoFromJSONWithoutSettings(t *testing.T) {
	raw := rawDevcon(t)
	raw.Settings = nil
	raw.Items = json.RawMessage(`[{"id": 1, "name": "Ticket", "admission": true}]`) // plain array, plain-string name
	ev, err := EventInfoFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ev.NameScheme != DefaultNameScheme {
		t.Errorf("scheme %q, want pretix's default %q", ev.NameScheme, DefaultNameScheme)
	}
	if len(ev.Locales) != 2 || ev.Locales[0] != "de" || ev.Locales[1] != "en" {
		t.Errorf("locales %v, want those of the event name, sorted", ev.Locales)
	}
	if ev.PrimaryLocale() != "de" {
		t.Errorf("primary locale %q", ev.PrimaryLocale())
	}
	if len(ev.Items) != 1 || ev.Items[0].Name.Localize("de") != "Ticket" {
		t.Errorf("items %+v", ev.Items)
	}
}

func TestEventInfoFromJSONErrors(t *testing.T) {
	good := rawDevcon(t)
	tests := []struct {
		name string
		edit func(r *RawEvent)
		code string
	}{
		{"no event", func(r *RawEvent) { r.Event = nil }, "event_json_missing"},
		{"null event", func(r *RawEvent) { r.Event = json.RawMessage("null") }, "event_json_missing"},
		{"broken event", func(r *RawEvent) { r.Event = json.RawMessage(`{"slug": 5}`) }, "pretix_json_malformed"},
		{"broken settings", func(r *RawEvent) { r.Settings = json.RawMessage(`{"locales": "en"}`) }, "pretix_json_malformed"},
		{"broken questions", func(r *RawEvent) { r.Questions = json.RawMessage(`{"results": [{"id": "x"}]}`) }, "pretix_json_malformed"},
		{"broken lists", func(r *RawEvent) { r.CheckinLists = json.RawMessage(`[1, 2]`) }, "pretix_json_malformed"},
		{"broken subevents", func(r *RawEvent) { r.SubEvents = json.RawMessage(`[{"date_from": "tomorrow"}]`) }, "pretix_json_malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := good
			tc.edit(&raw)
			_, err := EventInfoFromJSON(raw)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != tc.code || ae.Kind != apperr.KindInvalid {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
			if ae.Message == "" || ae.Message[len(ae.Message)-1] != '.' {
				t.Errorf("message should be a sentence telling what to do: %q", ae.Message)
			}
		})
	}
}
