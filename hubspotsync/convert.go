package hubspotsync

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/pretixwire"
)

// Error codes of Convert. The sync treats the config codes as
// "Misconfiguration" (the mapping must change) and the others as "Provider
// reported a permanent error" (this order's data does not fit).
const (
	CodeValueMapMissing = "value_map_missing" // config: a choice has no HubSpot value
	CodeValueMapInvalid = "value_map_invalid" // config: the map names a value that is no option
	CodeNotAnOption     = "value_not_option"  // permanent: the data is no option of the property
	CodeTooManyOptions  = "value_too_many"    // permanent: several choices for a one-option property
	CodeNotANumber      = "value_not_number"  // permanent
	CodeNotABool        = "value_not_bool"    // permanent
	CodeNotADate        = "value_not_date"    // permanent
)

// datetimeLayout is how HubSpot itself renders datetimes (ISO 8601, UTC).
const datetimeLayout = "2006-01-02T15:04:05.000Z"

var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)$`)

// Convert turns a pretix value into the string a HubSpot property of prop's
// type accepts (DESIGN §5 step 5). Empty values convert to "" (which clears
// a property when written). valueMap translates pretix option codes
// (question option identifiers, order status, locale) into HubSpot values.
func Convert(prop hubspot.Property, v fields.Value, valueMap map[string]string) (string, error) {
	if v.IsEmpty() {
		return "", nil
	}
	switch prop.Type {
	case "enumeration":
		return convertEnum(prop, v, valueMap)
	case "number":
		s, err := mapped(prop, v, valueMap)
		if err != nil {
			return "", err
		}
		if v.Kind == fields.KindBool || v.Kind == fields.KindDate || v.Kind == fields.KindDateTime {
			return "", valueErr(CodeNotANumber, fmt.Sprintf("%q is not a number; the HubSpot property %s needs a number such as 12.50.", s, propName(prop)))
		}
		return number(prop, s)
	case "bool":
		if v.Kind == fields.KindBool && len(valueMap) == 0 {
			return strconv.FormatBool(v.Bool), nil
		}
		s, err := mapped(prop, v, valueMap)
		if err != nil {
			return "", err
		}
		return boolean(prop, s)
	case "date":
		return date(prop, v)
	case "datetime":
		return datetime(prop, v)
	default: // string, phone_number and types HubSpot may add
		s, err := mapped(prop, v, valueMap)
		if err != nil {
			return "", err
		}
		if prop.Name == "email" {
			s = pretixwire.NormalizeEmail(s)
		}
		return s, nil
	}
}

func propName(p hubspot.Property) string {
	if p.Label != "" && p.Label != p.Name {
		return "“" + p.Label + "” (" + p.Name + ")"
	}
	return "“" + p.Name + "”"
}

func valueErr(code, msg string) *apperr.Error { return apperr.Invalid(code, msg) }

func mapMissing(code string) *apperr.Error {
	return apperr.Invalid(CodeValueMapMissing,
		"Value map: pretix option “"+code+"” has no HubSpot value. Edit the value mapping.")
}

// mapped renders a non-enumeration target's value as text: choices through
// the value map where it has an entry (a text property can hold the pretix
// code itself), lists joined with ";".
func mapped(prop hubspot.Property, v fields.Value, valueMap map[string]string) (string, error) {
	switch v.Kind {
	case fields.KindChoice:
		if m, ok := valueMap[v.Str]; ok {
			return m, nil
		}
		return v.Str, nil
	case fields.KindChoices:
		out := make([]string, 0, len(v.List))
		for _, c := range v.List {
			if m, ok := valueMap[c]; ok {
				c = m
			}
			out = append(out, c)
		}
		return strings.Join(out, ";"), nil
	case fields.KindBool:
		s := strconv.FormatBool(v.Bool)
		if m, ok := valueMap[s]; ok {
			return m, nil
		}
		return s, nil
	case fields.KindDateTime:
		return v.Time.UTC().Format(time.RFC3339), nil
	}
	return v.Text(), nil
}

func number(prop hubspot.Property, s string) (string, error) {
	t := strings.TrimSpace(s)
	if !numberRE.MatchString(t) {
		return "", valueErr(CodeNotANumber, fmt.Sprintf("%q is not a number; the HubSpot property %s needs a number with a dot as decimal separator, such as 12.50.", s, propName(prop)))
	}
	return strings.TrimPrefix(t, "+"), nil
}

func boolean(prop hubspot.Property, s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return "true", nil
	case "false", "no", "0":
		return "false", nil
	}
	return "", valueErr(CodeNotABool, fmt.Sprintf("%q is not yes or no; the HubSpot property %s only takes true or false.", s, propName(prop)))
}

// date sends YYYY-MM-DD; HubSpot refuses date values that are not midnight
// UTC, so a point in time is reduced to its UTC day.
func date(prop hubspot.Property, v fields.Value) (string, error) {
	switch v.Kind {
	case fields.KindDate:
		return v.Str, nil
	case fields.KindDateTime:
		return v.Time.UTC().Format(time.DateOnly), nil
	case fields.KindString:
		if t, ok := parseTime(v.Str); ok {
			return t.UTC().Format(time.DateOnly), nil
		}
	}
	return "", valueErr(CodeNotADate, fmt.Sprintf("%q is not a date; the HubSpot property %s needs a date.", v.Text(), propName(prop)))
}

func datetime(prop hubspot.Property, v fields.Value) (string, error) {
	switch v.Kind {
	case fields.KindDate, fields.KindDateTime:
		return v.Time.UTC().Format(datetimeLayout), nil
	case fields.KindString:
		if t, ok := parseTime(v.Str); ok {
			return t.UTC().Format(datetimeLayout), nil
		}
	}
	return "", valueErr(CodeNotADate, fmt.Sprintf("%q is not a date and time; the HubSpot property %s needs one.", v.Text(), propName(prop)))
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// convertEnum writes option values: choices go through the value map, and a
// choice without an entry passes only when it already is an option value.
func convertEnum(prop hubspot.Property, v fields.Value, valueMap map[string]string) (string, error) {
	if prop.FieldType == "booleancheckbox" && v.Kind == fields.KindBool && valueMap[strconv.FormatBool(v.Bool)] == "" {
		return option(prop, strconv.FormatBool(v.Bool), false, "", true)
	}
	var items []string
	choice := false
	switch v.Kind {
	case fields.KindChoice:
		items, choice = []string{v.Str}, true
	case fields.KindChoices:
		items, choice = v.List, true
	case fields.KindBool:
		items = []string{strconv.FormatBool(v.Bool)}
	default:
		items = []string{v.Text()}
	}
	if !prop.MultiSelect() && len(items) > 1 {
		return "", valueErr(CodeTooManyOptions, fmt.Sprintf("The HubSpot property %s holds one option, but this order has %d: %s.",
			propName(prop), len(items), strings.Join(items, ", ")))
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		m, fromMap := valueMap[it]
		if !fromMap && choice && len(prop.Options) == 0 && len(valueMap) > 0 {
			// Options kept outside the property (pipeline stages, owners)
			// cannot be checked here; an incomplete map is still a mistake.
			return "", mapMissing(it)
		}
		if !fromMap {
			m = it
		}
		val, err := option(prop, m, choice || fromMap, it, len(valueMap) == 0)
		if err != nil {
			return "", err
		}
		if !containsString(out, val) {
			out = append(out, val)
		}
	}
	return strings.Join(out, ";"), nil
}

// option checks value against prop's options and returns the option's own
// spelling. Without known options (externalOptions) it passes unchecked.
// fromChoice says the value is a pretix option code or a mapped one, whose
// failure is a mapping problem; code is the pretix option code then.
// lenient also accepts an option differing in case, which only makes sense
// without a value map (with one, a missing entry is a gap to fix).
func option(prop hubspot.Property, value string, fromChoice bool, code string, lenient bool) (string, error) {
	if len(prop.Options) == 0 {
		return value, nil
	}
	for _, o := range prop.Options {
		if o.Value == value {
			return o.Value, nil
		}
	}
	for _, o := range prop.Options {
		if lenient && strings.EqualFold(o.Value, value) {
			return o.Value, nil
		}
	}
	if fromChoice {
		if code != "" && code != value {
			return "", apperr.Invalid(CodeValueMapInvalid, fmt.Sprintf(
				"Value map: pretix option “%s” is mapped to “%s”, which is not an option of the HubSpot property %s. Edit the value mapping.",
				code, value, propName(prop)))
		}
		return "", mapMissing(value)
	}
	return "", valueErr(CodeNotAnOption, fmt.Sprintf("%q is not one of the options of the HubSpot property %s (%s).",
		value, propName(prop), optionList(prop)))
}

func optionList(p hubspot.Property) string {
	vals := make([]string, 0, len(p.Options))
	for _, o := range p.Options {
		vals = append(vals, o.Value)
	}
	if len(vals) > 12 {
		vals = append(vals[:12], "…")
	}
	return strings.Join(vals, ", ")
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
