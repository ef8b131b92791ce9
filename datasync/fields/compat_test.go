package fields

import (
	"strings"
	"testing"
)

// compatTargets are the HubSpot property shapes of the matrix columns.
var compatTargets = []Target{
	{Type: "string", FieldType: "text"},
	{Type: "string", FieldType: "textarea"},
	{Type: "string", FieldType: "html"},
	{Type: "string", FieldType: "phonenumber"},
	{Type: "phone_number", FieldType: "phonenumber"},
	{Type: "string", FieldType: "file"},
	{Type: "number", FieldType: "number"},
	{Type: "bool", FieldType: "booleancheckbox"},
	{Type: "enumeration", FieldType: "booleancheckbox"},
	{Type: "enumeration", FieldType: "select"},
	{Type: "enumeration", FieldType: "radio"},
	{Type: "enumeration", FieldType: "checkbox"},
	{Type: "date", FieldType: "date"},
	{Type: "datetime", FieldType: "date"},
	{Type: "number", FieldType: "calculation_equation"},
	{Type: "mystery", FieldType: "widget"},
}

// TestCompatibleMatrix is DESIGN §6 in full: "+" = compatible (no ⚠),
// "-" = warning, one column per entry of compatTargets, mode Overwrite.
func TestCompatibleMatrix(t *testing.T) {
	matrix := []struct {
		pretix Type
		row    string
	}{
		//              txt tarea html strphone phone file num bool enumbool select radio checkbox date datetime calc mystery
		{TypeText, "+++-------------"},
		{TypeMultiline, "+++-------------"},
		{TypeNumber, "+++---+---------"},
		{TypeChoice, "---------+++----"},
		{TypeMultiChoice, "-----------+----"},
		{TypeBool, "-------++-------"},
		{TypeDate, "------------+---"},
		{TypeTime, "+++-------------"},
		{TypeDateTime, "------------++--"},
		{TypeCountry, "+++-------------"},
		{TypePhone, "+++++-----------"},
		{TypeFile, "----------------"},
		{Type("X"), "----------------"},
	}
	for _, m := range matrix {
		if len(m.row) != len(compatTargets) {
			t.Fatalf("row %s has %d cells, want %d", m.pretix, len(m.row), len(compatTargets))
		}
		for i, tg := range compatTargets {
			want := m.row[i] == '+'
			ok, warning := Compatible(string(m.pretix), tg.Type, tg.FieldType, "overwrite")
			if ok != want {
				t.Errorf("%s → %s/%s: ok=%v (%q), want %v", m.pretix, tg.Type, tg.FieldType, ok, warning, want)
			}
			if ok != (warning == "") {
				t.Errorf("%s → %s/%s: ok=%v but warning %q", m.pretix, tg.Type, tg.FieldType, ok, warning)
			}
			if !ok && (!strings.HasSuffix(warning, ".") || len(warning) < 30) {
				t.Errorf("%s → %s/%s: warning is not a helpful sentence: %q", m.pretix, tg.Type, tg.FieldType, warning)
			}
		}
	}
}

func TestCompatibleWarningsSayWhatGoesWrong(t *testing.T) {
	tests := []struct {
		pretix, hsType, hsField, mode, contains string
	}{
		{"S", "number", "number", "overwrite", "only numbers"},
		{"S", "date", "date", "overwrite", "only dates"},
		{"S", "datetime", "date", "overwrite", "dates with time"},
		{"S", "bool", "booleancheckbox", "overwrite", "true or false"},
		{"S", "enumeration", "select", "overwrite", "option values"},
		{"S", "phone_number", "phonenumber", "overwrite", "phone number"},
		{"S", "string", "file", "overwrite", "file property"},
		{"S", "number", "calculation_equation", "overwrite", "calculates this property"},
		{"S", "mystery", "widget", "overwrite", `Unknown HubSpot property type "mystery"`},
		{"X", "string", "text", "overwrite", `Unknown pretix field type "X"`},
		{"F", "string", "text", "overwrite", "File uploads cannot be exported"},
		{"M", "enumeration", "select", "overwrite", "several answers"},
		{"M", "string", "text", "overwrite", "option identifiers"},
		{"C", "string", "textarea", "overwrite", "value map"},
		{"C", "bool", "booleancheckbox", "overwrite", "value map"},
		{"B", "string", "text", "overwrite", `"true" or "false"`},
		{"B", "enumeration", "select", "overwrite", "true or false"},
		{"D", "datetime", "date", "overwrite", "midnight UTC"},
		{"W", "string", "text", "overwrite", "cannot sort or filter"},
		{"CC", "enumeration", "select", "overwrite", "country codes"},
		{"S", "string", "text", "replace", `Unknown mode "replace"`},
	}
	for _, tc := range tests {
		ok, w := Compatible(tc.pretix, tc.hsType, tc.hsField, tc.mode)
		if ok || !strings.Contains(w, tc.contains) {
			t.Errorf("%s → %s/%s (%s): ok=%v warning %q, want it to mention %q", tc.pretix, tc.hsType, tc.hsField, tc.mode, ok, w, tc.contains)
		}
	}
}

func TestCompatibleModes(t *testing.T) {
	tests := []struct {
		pretix, hsType, hsField, mode string
		ok                            bool
	}{
		// Add to list: multi-checkbox, text and number only
		{"S", "string", "text", "append", true},
		{"T", "string", "textarea", "append", true},
		{"N", "number", "number", "append", true},
		{"M", "enumeration", "checkbox", "append", true},
		{"C", "enumeration", "checkbox", "append", true},
		{"C", "enumeration", "select", "append", false},
		{"C", "enumeration", "radio", "append", false},
		{"B", "bool", "booleancheckbox", "append", false},
		{"D", "date", "date", "append", false},
		{"W", "datetime", "date", "append", false},
		{"TEL", "phone_number", "phonenumber", "append", false},
		// other modes never add a warning of their own
		{"D", "date", "date", "if_new", true},
		{"B", "bool", "booleancheckbox", "if_empty", true},
		{"C", "enumeration", "radio", "overwrite", true},
		// identifiers: unique text or number properties
		{"S", "string", "text", "identifier", true},
		{"N", "number", "number", "identifier", true},
		{"TEL", "phone_number", "phonenumber", "identifier", true},
		{"B", "bool", "booleancheckbox", "identifier", false},
		{"C", "enumeration", "select", "identifier", false},
		{"D", "date", "date", "identifier", false},
	}
	for _, tc := range tests {
		ok, w := Compatible(tc.pretix, tc.hsType, tc.hsField, tc.mode)
		if ok != tc.ok {
			t.Errorf("%s → %s/%s (%s): ok=%v (%q), want %v", tc.pretix, tc.hsType, tc.hsField, tc.mode, ok, w, tc.ok)
		}
		if tc.mode == "append" && !ok && tc.pretix != "TEL" && !strings.Contains(w, "Add to list only works") {
			t.Errorf("%s append: warning %q should explain Add to list", tc.pretix, w)
		}
	}
	// a bad type and a bad mode give both warnings
	ok, w := Compatible("D", "bool", "booleancheckbox", "append")
	if ok || !strings.Contains(w, "true or false") || !strings.Contains(w, "Add to list") {
		t.Errorf("combined warning %q", w)
	}
}

func TestCheckCompatibilityCountryEnumeration(t *testing.T) {
	tests := []struct {
		options []string
		ok      bool
	}{
		{[]string{"DE", "AT", "CH", "US"}, true},
		{[]string{"DE", "Germany"}, false},
		{[]string{"de"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		ok, w := CheckCompatibility(TypeCountry, Target{Type: "enumeration", FieldType: "select", Options: tc.options}, "overwrite")
		if ok != tc.ok {
			t.Errorf("options %v: ok=%v (%q), want %v", tc.options, ok, w, tc.ok)
		}
	}
}

// Every field of the fixture event must be mappable without a warning to
// at least one HubSpot property shape.
func TestEveryCatalogueTypeHasACompatibleTarget(t *testing.T) {
	for _, f := range Catalogue(devcon(t)) {
		found := false
		for _, tg := range compatTargets {
			if ok, _ := CheckCompatibility(f.Type, tg, "overwrite"); ok {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s (%s) fits no HubSpot property", f.Key, f.Type)
		}
	}
}
