package pretixwire

import (
	"encoding/json"
	"testing"
)

func TestLocalize(t *testing.T) {
	s := LocalizedText{"de": "rot", "en": "red", "fr": "rouge"}
	tests := []struct {
		locales []string
		want    string
	}{
		{[]string{"fr"}, "rouge"},
		{[]string{"de-informal"}, "rot"},
		{[]string{"nl", "de"}, "rot"},
		{[]string{"nl"}, "red"},
		{nil, "red"},
	}
	for _, tc := range tests {
		if got := s.Localize(tc.locales...); got != tc.want {
			t.Errorf("Localize(%v) = %q, want %q", tc.locales, got, tc.want)
		}
	}
	if got := (LocalizedText{"nl": "rood", "da": "rød"}).Localize("en"); got != "rød" {
		t.Errorf("fallback should pick the smallest locale code, got %q", got)
	}
	var fromString LocalizedText
	if err := json.Unmarshal([]byte(`"Plain"`), &fromString); err != nil || fromString.Localize("en") != "Plain" {
		t.Errorf("plain string: %v %v", fromString, err)
	}
	var withNull LocalizedText
	if err := json.Unmarshal([]byte(`{"en": null, "de": "Hallo"}`), &withNull); err != nil || withNull.Localize("en") != "Hallo" {
		t.Errorf("null entry: %v %v", withNull, err)
	}
}
