package hubspotsync

import (
	"testing"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

func TestSameValue(t *testing.T) {
	num := hubspot.Property{Name: "amount", Type: "number"}
	dt := hubspot.Property{Name: "closedate", Type: "datetime"}
	date := hubspot.Property{Name: "birthday", Type: "date"}
	multi := hubspot.Property{Name: "diets", Type: "enumeration", FieldType: "checkbox"}
	email := hubspot.Property{Name: "email", Type: "string"}
	text := hubspot.Property{Name: "city", Type: "string"}
	for _, tc := range []struct {
		def  hubspot.Property
		a, b string
		want bool
	}{
		{num, "46", "46.00", true},
		{num, "46.5", "46.50", true},
		{num, "46", "47", false},
		{num, "", "0", false},
		{dt, "2026-03-01T22:30:15.250Z", "2026-03-01T23:30:15.25+01:00", true},
		{dt, "1772404215250", "2026-03-01T22:30:15.250Z", true},
		{dt, "2026-03-01T22:30:15Z", "2026-03-01T22:30:16Z", false},
		{date, "2026-05-04", "1777852800000", true},
		{multi, "a;b", "b;a", true},
		{multi, "a;b", "a", false},
		{email, "Ada@Example.org", "ada@example.org", true},
		{text, "Berlin", "berlin", false},
	} {
		if got := sameValue(&tc.def, tc.a, tc.b); got != tc.want {
			t.Errorf("sameValue(%s %q, %q) = %v", tc.def.Name, tc.a, tc.b, got)
		}
	}
}

func TestApplyModes(t *testing.T) {
	text := hubspot.Property{Name: "orders", Type: "string", FieldType: "textarea"}
	num := hubspot.Property{Name: "seats", Type: "number"}
	multi := hubspot.Property{Name: "diets", Type: "enumeration", FieldType: "checkbox"}
	for _, tc := range []struct {
		name    string
		w       write
		cur     string
		existed bool
		want    string
		changed bool
		err     bool
	}{
		{"overwrite", write{def: &text, value: "B", mode: models.ModeOverwrite}, "A", true, "B", true, false},
		{"overwrite with empty clears", write{def: &text, value: "", mode: models.ModeOverwrite}, "A", true, "", true, false},
		{"fill if new on a new record", write{def: &text, value: "B", mode: models.ModeIfNew}, "", false, "B", true, false},
		{"fill if new on an existing empty field", write{def: &text, value: "B", mode: models.ModeIfNew}, "", true, "", false, false},
		{"fill if empty on an existing empty field", write{def: &text, value: "B", mode: models.ModeIfEmpty}, "", true, "B", true, false},
		{"fill if empty keeps a value", write{def: &text, value: "B", mode: models.ModeIfEmpty}, "A", true, "A", false, false},
		{"fill if empty never writes nothing", write{def: &text, value: "", mode: models.ModeIfEmpty}, "", true, "", false, false},
		{"add to text", write{def: &text, value: "B", mode: models.ModeAppend}, "A", true, "A;B", true, false},
		{"add to text once", write{def: &text, value: "B", mode: models.ModeAppend}, "A;B", true, "A;B", false, false},
		{"add several items to text", write{def: &text, value: "B;C;A", mode: models.ModeAppend}, "A", true, "A;B;C", true, false},
		{"add option", write{def: &multi, value: "vegan", mode: models.ModeAppend}, "halal", true, "halal;vegan", true, false},
		{"add to an empty number", write{def: &num, value: "3", mode: models.ModeAppend}, "", true, "3", true, false},
		{"add the same number again", write{def: &num, value: "3.0", mode: models.ModeAppend}, "3", true, "3", false, false},
		{"add to a filled number", write{def: &num, value: "4", mode: models.ModeAppend}, "3", true, "3", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := map[string]string{tc.w.def.Name: tc.cur}
			changed, err := applyModes([]write{tc.w}, state, tc.existed)
			if (err != nil) != tc.err || changed != tc.changed || state[tc.w.def.Name] != tc.want {
				t.Fatalf("got %q, changed %v, err %v; want %q, %v, error %v", state[tc.w.def.Name], changed, err, tc.want, tc.changed, tc.err)
			}
		})
	}
}
