package hubspotsync

import (
	"testing"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
)

func TestConvert(t *testing.T) {
	str := hubspot.Property{Name: "jobtitle", Label: "Job Title", Type: "string", FieldType: "text"}
	email := hubspot.Property{Name: "email", Type: "string", FieldType: "text"}
	num := hubspot.Property{Name: "amount", Label: "Amount", Type: "number", FieldType: "number"}
	boolean := hubspot.Property{Name: "vip", Type: "bool", FieldType: "booleancheckbox"}
	boolEnum := hubspot.Property{Name: "optin", Type: "enumeration", FieldType: "booleancheckbox",
		Options: []hubspot.Option{{Label: "Yes", Value: "true"}, {Label: "No", Value: "false"}}}
	date := hubspot.Property{Name: "birthday", Type: "date", FieldType: "date"}
	dt := hubspot.Property{Name: "closedate", Type: "datetime", FieldType: "date"}
	single := hubspot.Property{Name: "diet", Label: "Diet", Type: "enumeration", FieldType: "select",
		Options: []hubspot.Option{{Label: "Vegetarian", Value: "vegetarian"}, {Label: "Vegan", Value: "vegan"}, {Label: "Gluten-free", Value: "GF"}}}
	multi := single
	multi.FieldType = "checkbox"
	stage := hubspot.Property{Name: "dealstage", Type: "enumeration", FieldType: "radio", ExternalOptions: true}
	country := hubspot.Property{Name: "cc", Type: "enumeration", FieldType: "select",
		Options: []hubspot.Option{{Label: "Germany", Value: "DE"}, {Label: "France", Value: "FR"}}}

	at := time.Date(2026, 3, 1, 23, 30, 15, 250e6, time.FixedZone("CET", 3600))
	d, _ := fields.DateValue("2026-05-04")
	dietMap := map[string]string{"VEG": "vegetarian", "VGN": "vegan"}

	tests := []struct {
		name    string
		prop    hubspot.Property
		v       fields.Value
		vmap    map[string]string
		want    string
		errCode string
	}{
		{"empty clears", str, fields.Empty(), nil, "", ""},
		{"text", str, fields.StringValue("Engineer"), nil, "Engineer", ""},
		{"choices into text joined with semicolons", str, fields.ChoicesValue([]string{"VEG", "GF"}), dietMap, "vegetarian;GF", ""},
		{"status into text via map", str, fields.ChoiceValue("p"), map[string]string{"p": "Paid"}, "Paid", ""},
		{"email normalised", email, fields.StringValue(" Ada@Example.ORG "), nil, "ada@example.org", ""},
		{"idna email", email, fields.StringValue("zoe@müller-bau.example"), nil, "zoe@xn--mller-bau-q9a.example", ""},
		{"datetime into text", str, fields.DateTimeValue(at), nil, "2026-03-01T22:30:15Z", ""},
		{"number", num, fields.NumberValue("46.00"), nil, "46.00", ""},
		{"number from text", num, fields.StringValue(" +12.5 "), nil, "12.5", ""},
		{"number with comma", num, fields.StringValue("12,5"), nil, "", CodeNotANumber},
		{"number from text", num, fields.StringValue("lots"), nil, "", CodeNotANumber},
		{"bool into number", num, fields.BoolValue(true), nil, "", CodeNotANumber},
		{"bool", boolean, fields.BoolValue(false), nil, "false", ""},
		{"bool from text", boolean, fields.StringValue("Yes"), nil, "true", ""},
		{"bool from choice via map", boolean, fields.ChoiceValue("p"), map[string]string{"p": "true", "n": "false"}, "true", ""},
		{"bool from junk", boolean, fields.StringValue("maybe"), nil, "", CodeNotABool},
		{"bool into booleancheckbox enumeration", boolEnum, fields.BoolValue(true), nil, "true", ""},
		{"date", date, d, nil, "2026-05-04", ""},
		{"datetime into date is its UTC day", date, fields.DateTimeValue(at), nil, "2026-03-01", ""},
		{"text into date", date, fields.StringValue("soon"), nil, "", CodeNotADate},
		{"datetime is ISO 8601 UTC", dt, fields.DateTimeValue(at), nil, "2026-03-01T22:30:15.250Z", ""},
		{"date into datetime is midnight UTC", dt, d, nil, "2026-05-04T00:00:00.000Z", ""},
		{"choice through the map", single, fields.ChoiceValue("VEG"), dietMap, "vegetarian", ""},
		{"choice equal to an option passes without entry", single, fields.ChoiceValue("GF"), dietMap, "GF", ""},
		{"choice equal to an option ignoring case", single, fields.ChoiceValue("vegan"), nil, "vegan", ""},
		{"choice without map entry", single, fields.ChoiceValue("HALAL"), dietMap, "", CodeValueMapMissing},
		{"with a map, an option differing in case needs an entry", single, fields.ChoiceValue("VEGAN"), dietMap, "", CodeValueMapMissing},
		{"map names no option", single, fields.ChoiceValue("VEG"), map[string]string{"VEG": "veggie"}, "", CodeValueMapInvalid},
		{"several choices into one-option property", single, fields.ChoicesValue([]string{"VEG", "VGN"}), dietMap, "", CodeTooManyOptions},
		{"multi-checkbox joined", multi, fields.ChoicesValue([]string{"VEG", "GF", "VGN"}), dietMap, "vegetarian;GF;vegan", ""},
		{"multi-checkbox dedupes mapped values", multi, fields.ChoicesValue([]string{"VEG", "VEGETARIAN"}), map[string]string{"VEG": "vegetarian", "VEGETARIAN": "vegetarian"}, "vegetarian", ""},
		{"external options pass unchecked", stage, fields.ChoiceValue("p"), map[string]string{"p": "closedwon"}, "closedwon", ""},
		{"external options without a map send the code", stage, fields.ChoiceValue("p"), nil, "p", ""},
		{"external options with an incomplete map", stage, fields.ChoiceValue("e"), map[string]string{"p": "closedwon"}, "", CodeValueMapMissing},
		{"country code into enumeration", country, fields.StringValue("fr"), nil, "FR", ""},
		{"unknown country into enumeration", country, fields.StringValue("XX"), nil, "", CodeNotAnOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Convert(tc.prop, tc.v, tc.vmap)
			if tc.errCode != "" {
				ae, ok := apperr.As(err)
				if !ok || ae.Code != tc.errCode {
					t.Fatalf("Convert = %q, %v; want error %s", got, err, tc.errCode)
				}
				if ae.Message == "" {
					t.Fatal("error without message")
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Convert = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestConvertMessages(t *testing.T) {
	diet := hubspot.Property{Name: "diet", Label: "Diet", Type: "enumeration", FieldType: "checkbox",
		Options: []hubspot.Option{{Label: "Vegetarian", Value: "vegetarian"}}}
	_, err := Convert(diet, fields.ChoicesValue([]string{"VEG"}), map[string]string{"GF": "vegetarian"})
	if err == nil || err.(*apperr.Error).Message != "Value map: pretix option “VEG” has no HubSpot value. Edit the value mapping." {
		t.Fatalf("missing entry message: %v", err)
	}
	if ModeOf(err) != "config" {
		t.Fatalf("missing value-map entry is %q, want config", ModeOf(err))
	}
	_, err = Convert(hubspot.Property{Name: "amount", Type: "number"}, fields.StringValue("n/a"), nil)
	if ModeOf(err) != "permanent" {
		t.Fatalf("malformed number is %q, want permanent", ModeOf(err))
	}
}
