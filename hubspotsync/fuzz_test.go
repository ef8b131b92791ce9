package hubspotsync

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

var fuzzProps = []hubspot.Property{
	{Name: "jobtitle", Type: "string", FieldType: "text"},
	{Name: "amount", Type: "number", FieldType: "number"},
	{Name: "vip", Type: "bool", FieldType: "booleancheckbox"},
	{Name: "birthday", Type: "date", FieldType: "date"},
	{Name: "closedate", Type: "datetime", FieldType: "date"},
	{Name: "diet", Type: "enumeration", FieldType: "select",
		Options: []hubspot.Option{{Label: "Vegetarian", Value: "vegetarian"}, {Label: "Vegan", Value: "vegan"}, {Label: "Gluten-free", Value: "GF"}}},
	{Name: "diets", Type: "enumeration", FieldType: "checkbox",
		Options: []hubspot.Option{{Label: "Vegetarian", Value: "vegetarian"}, {Label: "Vegan", Value: "vegan"}, {Label: "Gluten-free", Value: "GF"}}},
}

// FuzzConvert: whatever a pretix value holds, converting it for a HubSpot
// property either fails with an error or gives what the property accepts:
// a number for numbers, a calendar date for dates, one of the
// options (or ";"-joined options) for enumerations.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"", "42", "-0.5", "1e400", "NaN", "true", "2026-05-04", "2026-05-04T23:30:00+01:00", "VEG", "VEG;VGN", "Vegan", "\x00", "ä;;"} {
		for kind := 0; kind < 6; kind++ {
			f.Add(kind, s)
		}
	}
	vmap := map[string]string{"VEG": "vegetarian", "VGN": "vegan"}
	f.Fuzz(func(t *testing.T, kind int, s string) {
		var v fields.Value
		switch kind % 6 {
		case 0:
			v = fields.StringValue(s)
		case 1:
			v = fields.NumberValue(s)
		case 2:
			v = fields.BoolValue(len(s)%2 == 1)
		case 3:
			if d, ok := fields.DateValue(s); ok {
				v = d
			} else if tm, err := time.Parse(time.RFC3339, s); err == nil {
				v = fields.DateTimeValue(tm)
			}
		case 4:
			v = fields.ChoiceValue(s)
		case 5:
			v = fields.ChoicesValue(strings.Split(s, ";"))
		}
		for _, p := range fuzzProps {
			out, err := Convert(p, v, vmap)
			if err != nil || out == "" {
				continue
			}
			switch p.Type {
			case "number":
				if _, perr := strconv.ParseFloat(out, 64); perr != nil {
					t.Fatalf("%s: %q from %+v is not a number", p.Name, out, v)
				}
			case "date":
				if _, perr := time.Parse(time.DateOnly, out); perr != nil {
					t.Fatalf("%s: %q from %+v is not a date", p.Name, out, v)
				}
			case "enumeration":
				for _, it := range strings.Split(out, ";") {
					if !hasOption(p, it) {
						t.Fatalf("%s: %q from %+v is not an option", p.Name, out, v)
					}
				}
			}
		}
	})
}

func hasOption(p hubspot.Property, v string) bool {
	for _, o := range p.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// FuzzAppendItem: Add to list keeps what the record holds, adds each new
// item once, and adding the same value again changes nothing (a re-run
// after a crash never adds an item twice).
func FuzzAppendItem(f *testing.F) {
	for _, s := range [][2]string{{"", "A"}, {"A;B", "B"}, {"A", "A;B;A"}, {" A ; B ", "C"}, {";;", ";"}, {"x", ""}} {
		f.Add(s[0], s[1])
	}
	text := hubspot.Property{Name: "orders", Type: "string", FieldType: "textarea"}
	f.Fuzz(func(t *testing.T, cur, value string) {
		merged, err := appendItem(&text, cur, value)
		if err != nil {
			t.Fatalf("text append: %v", err)
		}
		items := splitItems(merged)
		for _, it := range append(splitItems(cur), splitItems(value)...) {
			n := 0
			for _, m := range items {
				if m == it {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("append(%q, %q) = %q holds %q %d times", cur, value, merged, it, n)
			}
		}
		again, err := appendItem(&text, merged, value)
		if err != nil || again != merged {
			t.Fatalf("appending %q again to %q gave %q, %v", value, merged, again, err)
		}
		state := map[string]string{"orders": cur}
		if _, err := applyModes([]write{{def: &text, mode: models.ModeAppend, value: value}}, state, true); err != nil {
			t.Fatal(err)
		}
	})
}
