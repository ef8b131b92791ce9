package fields

import (
	"testing"
	"time"
)

func TestValueConstructorsAndText(t *testing.T) {
	d, ok := DateValue("2025-04-10")
	if !ok || d.Kind != KindDate || !d.Time.Equal(time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("DateValue: %+v %v", d, ok)
	}
	if _, ok := DateValue("2025-13-01"); ok {
		t.Error("month 13 is not a date")
	}
	berlin := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		v     Value
		kind  Kind
		text  string
		empty bool
	}{
		{StringValue(""), KindEmpty, "", true},
		{StringValue("x"), KindString, "x", false},
		{NumberValue("46.00"), KindNumber, "46.00", false},
		{NumberValue(""), KindEmpty, "", true},
		{BoolValue(false), KindBool, "false", false},
		{BoolValue(true), KindBool, "true", false},
		{d, KindDate, "2025-04-10", false},
		{DateTimeValue(time.Date(2025, 4, 10, 8, 45, 23, 250e6, berlin)), KindDateTime, "2025-04-10T06:45:23.25Z", false},
		{DateTimeValue(time.Time{}), KindEmpty, "", true},
		{ChoiceValue("p"), KindChoice, "p", false},
		{ChoiceValue(""), KindEmpty, "", true},
		{ChoicesValue([]string{"VEG", "GF"}), KindChoices, "VEG;GF", false},
		{ChoicesValue(nil), KindEmpty, "", true},
		{Empty(), KindEmpty, "", true},
	}
	for _, tc := range tests {
		if tc.v.Kind != tc.kind || tc.v.Text() != tc.text || tc.v.IsEmpty() != tc.empty {
			t.Errorf("%+v: kind %s text %q empty %v; want %s %q %v", tc.v, tc.v.Kind, tc.v.Text(), tc.v.IsEmpty(), tc.kind, tc.text, tc.empty)
		}
	}
	if KindChoices.String() != "choices" || Kind(99).String() != "unknown" {
		t.Error("kind names")
	}
	if ChoicesValue([]string{"a"}).Equal(ChoicesValue([]string{"b"})) || !BoolValue(true).Equal(BoolValue(true)) {
		t.Error("Equal")
	}
}
