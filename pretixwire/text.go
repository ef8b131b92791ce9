package pretixwire

import (
	"encoding/json"
	"sort"
	"strings"
)

// DisplayLanguage is the language of the app's screens. Names a person reads
// (products, questions, events) are shown in it first, then in the event's
// default language, then in any language the text has.
const DisplayLanguage = "en"

// LocalizedText is a pretix multilingual string: locale code → text.
type LocalizedText map[string]string

// UnmarshalJSON accepts pretix's object form, a plain string (old servers and
// plain-text fields, kept under the "" locale) and null.
func (t *LocalizedText) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*t = LocalizedText{"": v}
		return nil
	}
	var m map[string]*string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(LocalizedText, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	*t = out
	return nil
}

// Localize returns the text in the first of locales that has one, then in
// the base language of each ("de" for "de-informal"), then English, then any
// text (the smallest locale code, so the choice is deterministic). Callers
// showing a name to a person pass DisplayLanguage and the event's default.
func (t LocalizedText) Localize(locales ...string) string {
	if len(t) == 0 {
		return ""
	}
	for _, l := range locales {
		if v := t[l]; v != "" {
			return v
		}
	}
	for _, l := range locales {
		if i := strings.IndexAny(l, "-_"); i > 0 {
			if v := t[l[:i]]; v != "" {
				return v
			}
		}
	}
	if v := t["en"]; v != "" {
		return v
	}
	keys := make([]string, 0, len(t))
	for k, v := range t {
		if v != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return t[keys[0]]
}

// Display is the text as shown on the app's screens for an event whose
// default language is eventLocale.
func (t LocalizedText) Display(eventLocale string) string {
	return t.Localize(DisplayLanguage, eventLocale)
}

// PrimaryLocale is an event's default language: the settings' locale, else
// the first enabled one, else English.
func PrimaryLocale(locale string, locales []string) string {
	if locale != "" {
		return locale
	}
	if len(locales) > 0 {
		return locales[0]
	}
	return "en"
}
