package fields

import (
	"fmt"
	"strings"
)

// Target describes the property a field is written to, as the provider
// reports it. For HubSpot, Type is the property type (string, number, bool,
// enumeration, date, datetime, phone_number) and FieldType its fieldType
// (text, textarea, number, booleancheckbox, select, radio, checkbox, date,
// phonenumber, file, html, calculation_*).
type Target struct {
	Type      string
	FieldType string
	// Options are the option values of an enumeration, when known; they let
	// a country-code field fit an enumeration of country codes.
	Options []string
}

// The update modes a property mapping can have (stored strings).
const (
	modeIdentifier = "identifier"
	modeOverwrite  = "overwrite"
	modeIfNew      = "if_new"
	modeIfEmpty    = "if_empty"
	modeAppend     = "append"
)

// Compatible reports whether a pretix field type fits a HubSpot property
// type and fieldType under the mode ("identifier", "overwrite", "if_new",
// "if_empty" or "append"). When it does not, warning is the tooltip of the
// row's ⚠: what may go wrong, for people. Without the property's options a
// country code into an enumeration gets a warning; use CheckCompatibility
// to pass them.
func Compatible(pretixType, hubspotPropType, hubspotFieldType, mode string) (ok bool, warning string) {
	return CheckCompatibility(Type(pretixType), Target{Type: hubspotPropType, FieldType: hubspotFieldType}, mode)
}

// CheckCompatibility is Compatible with the full target description.
func CheckCompatibility(t Type, target Target, mode string) (ok bool, warning string) {
	var warns []string
	if w := typeWarning(t, target); w != "" {
		warns = append(warns, w)
	}
	if w := modeWarning(target, mode); w != "" {
		warns = append(warns, w)
	}
	if len(warns) == 0 {
		return true, ""
	}
	return false, strings.Join(warns, " ")
}

// target classes
type targetClass int

const (
	tcUnknown targetClass = iota
	tcText
	tcPhone
	tcNumber
	tcBool
	tcSingleEnum
	tcMultiEnum
	tcDate
	tcDateTime
	tcCalculated
	tcFile
)

func classify(tg Target) targetClass {
	ft := strings.ToLower(tg.FieldType)
	if strings.HasPrefix(ft, "calculation_") {
		return tcCalculated
	}
	switch strings.ToLower(tg.Type) {
	case "string":
		switch ft {
		case "", "text", "textarea", "html":
			return tcText
		case "phonenumber":
			return tcPhone
		case "file":
			return tcFile
		}
		return tcText
	case "phone_number":
		return tcPhone
	case "number":
		return tcNumber
	case "bool":
		return tcBool
	case "enumeration":
		switch ft {
		case "checkbox":
			return tcMultiEnum
		case "booleancheckbox":
			return tcBool
		}
		return tcSingleEnum
	case "date":
		return tcDate
	case "datetime":
		return tcDateTime
	}
	return tcUnknown
}

// compatiblePairs is DESIGN §6: the classes each pretix type fits without a warning.
var compatiblePairs = map[Type][]targetClass{
	TypeText:        {tcText},
	TypeMultiline:   {tcText},
	TypeNumber:      {tcNumber, tcText},
	TypeChoice:      {tcSingleEnum, tcMultiEnum},
	TypeMultiChoice: {tcMultiEnum},
	TypeBool:        {tcBool},
	TypeDate:        {tcDate},
	TypeDateTime:    {tcDateTime, tcDate},
	TypeCountry:     {tcText},
	TypePhone:       {tcPhone, tcText},
	TypeTime:        {tcText},
}

func typeWarning(t Type, tg Target) string {
	c := classify(tg)
	switch {
	case c == tcCalculated:
		return "HubSpot calculates this property itself and rejects values written to it; choose another property."
	case !t.Valid():
		return fmt.Sprintf("Unknown pretix field type %q; check the pretix field.", string(t))
	case t == TypeFile:
		return "File uploads cannot be exported; choose another pretix field."
	case c == tcUnknown:
		return fmt.Sprintf("Unknown HubSpot property type %q (%s); HubSpot may reject the values.", tg.Type, tg.FieldType)
	}
	for _, ok := range compatiblePairs[t] {
		if ok == c {
			return ""
		}
	}
	if t == TypeCountry && c == tcSingleEnum && len(tg.Options) > 0 && allCountryCodes(tg.Options) {
		return ""
	}
	label := t.Label()
	switch c {
	case tcFile:
		return "This is a HubSpot file property, which holds uploaded files, not text; HubSpot will reject the values."
	case tcNumber:
		return fmt.Sprintf("HubSpot accepts only numbers in this property; a %q value that is not a number is rejected and the order fails.", label)
	case tcBool:
		if t == TypeChoice || t == TypeMultiChoice {
			return "This HubSpot property only holds Yes/No; map the options to true and false with a value map, or the values are rejected."
		}
		return fmt.Sprintf("HubSpot accepts only true or false in this property; a %q value is rejected.", label)
	case tcDate:
		return fmt.Sprintf("HubSpot accepts only dates in this property; a %q value is rejected unless it is a date.", label)
	case tcDateTime:
		if t == TypeDate {
			return "The date is written as midnight UTC, so HubSpot may show the previous day to users west of UTC; a date property fits better."
		}
		return fmt.Sprintf("HubSpot accepts only dates with time in this property; a %q value is rejected.", label)
	case tcSingleEnum:
		switch t {
		case TypeMultiChoice:
			return "pretix allows several answers here but this HubSpot property holds only one option; orders with several answers are rejected. A multiple-checkbox property fits."
		case TypeCountry:
			return "HubSpot accepts only this property's options; make sure they are two-letter country codes such as DE or US, or other countries are rejected."
		case TypeBool:
			return "This dropdown only accepts its own options; Yes/No is written as true or false, which must be option values."
		}
		return fmt.Sprintf("HubSpot accepts only this property's option values; a %q value is rejected unless it equals one of them.", label)
	case tcMultiEnum:
		return fmt.Sprintf("HubSpot accepts only this property's option values; a %q value is rejected unless it equals one of them.", label)
	case tcPhone:
		return fmt.Sprintf("HubSpot expects a phone number here; a %q value may be rejected or reformatted.", label)
	case tcText:
		switch t {
		case TypeChoice, TypeMultiChoice:
			return "The option identifiers (not the answer texts) are written as text, several separated by \";\"; add a value map to write other text."
		case TypeBool:
			return "Yes/No is written as the text \"true\" or \"false\"."
		case TypeDate, TypeDateTime:
			return "The date is written as text (ISO 8601, UTC), so HubSpot cannot sort or filter it as a date."
		}
	}
	return fmt.Sprintf("A %q value may not fit this HubSpot %s property; HubSpot may reject it.", label, tg.Type)
}

func modeWarning(tg Target, mode string) string {
	c := classify(tg)
	switch mode {
	case modeOverwrite, modeIfNew, modeIfEmpty:
		return ""
	case modeIdentifier:
		if c == tcText || c == tcNumber || c == tcPhone {
			return ""
		}
		return "An identifier needs a text or number property with unique values; records may not be found by this property."
	case modeAppend:
		if c == tcMultiEnum || c == tcText || c == tcNumber {
			return ""
		}
		return "Add to list only works with multiple-checkbox, text and number properties; on this property each sync replaces the value. Choose another mode."
	}
	return fmt.Sprintf("Unknown mode %q; use Overwrite, Fill if new, Fill if empty or Add to list.", mode)
}

func allCountryCodes(opts []string) bool {
	for _, o := range opts {
		if len(o) != 2 || o[0] < 'A' || o[0] > 'Z' || o[1] < 'A' || o[1] > 'Z' {
			return false
		}
	}
	return true
}
