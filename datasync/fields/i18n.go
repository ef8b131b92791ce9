package fields

import (
	"encoding/json"
	"sort"
	"strings"
)

// I18n is a pretix multilingual string: locale code → text.
type I18n map[string]string

// UnmarshalJSON accepts pretix's object form, a plain string (old servers and
// plain-text fields) and null.
func (s *I18n) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = I18n{"": v}
		return nil
	}
	var m map[string]*string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(I18n, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	*s = out
	return nil
}

// Localize returns the text in the first of locales that has one, then in
// the base language of each ("de" for "de-informal"), then English, then any
// text (the smallest locale code, so the choice is deterministic).
func (s I18n) Localize(locales ...string) string {
	if len(s) == 0 {
		return ""
	}
	for _, l := range locales {
		if v := s[l]; v != "" {
			return v
		}
	}
	for _, l := range locales {
		if i := strings.IndexAny(l, "-_"); i > 0 {
			if v := s[l[:i]]; v != "" {
				return v
			}
		}
	}
	if v := s["en"]; v != "" {
		return v
	}
	keys := make([]string, 0, len(s))
	for k, v := range s {
		if v != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return s[keys[0]]
}
