package fields

import (
	"pretix-hubspot/pretixwire"
	"strings"
)

// NamePart is one input of a pretix name scheme, e.g. {"given_name", "Given name"}.
type NamePart struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// NameScheme is a pretix person-name scheme: the parts asked for and how
// pretix joins them into the display name.
type NameScheme struct {
	Key   string
	Parts []NamePart
	// display lists the part keys that make up the display name, in order.
	display []string
	// sep joins the display parts; a family-comma scheme uses ", ".
	sep string
	// suffix is appended after ", " when present (academic degree).
	suffix string
}

var (
	partTitle      = NamePart{"title", "Title"}
	partSalutation = NamePart{"salutation", "Salutation"}
	partGiven      = NamePart{"given_name", "Given name"}
	partFirst      = NamePart{"given_name", "First name"}
	partMiddle     = NamePart{"middle_name", "Middle name"}
	partFamily     = NamePart{"family_name", "Family name"}
	partName       = NamePart{"full_name", "Name"}
	partFullName   = NamePart{"full_name", "Full name"}
	partCalling    = NamePart{"calling_name", "Calling name"}
	partLatin      = NamePart{"latin_transcription", "Latin transcription"}
	partDegree     = NamePart{"degree", "Degree (after name)"}
)

// nameSchemes are pretix's schemes (event setting name_scheme). The
// salutation variants exist in newer pretix; their display rule (salutation
// left out of the name, degree after a comma) is our best reading.
var nameSchemes = map[string]*NameScheme{
	"given_family":              {Parts: []NamePart{partGiven, partFamily}, display: []string{"given_name", "family_name"}, sep: " "},
	"title_given_family":        {Parts: []NamePart{partTitle, partGiven, partFamily}, display: []string{"title", "given_name", "family_name"}, sep: " "},
	"given_middle_family":       {Parts: []NamePart{partFirst, partMiddle, partFamily}, display: []string{"given_name", "middle_name", "family_name"}, sep: " "},
	"title_given_middle_family": {Parts: []NamePart{partTitle, partFirst, partMiddle, partFamily}, display: []string{"title", "given_name", "middle_name", "family_name"}, sep: " "},
	"family_given":              {Parts: []NamePart{partFamily, partGiven}, display: []string{"family_name", "given_name"}, sep: " "},
	"family_nospace_given":      {Parts: []NamePart{partGiven, partFamily}, display: []string{"family_name", "given_name"}, sep: ""},
	"family_comma_given":        {Parts: []NamePart{partGiven, partFamily}, display: []string{"family_name", "given_name"}, sep: ", "},
	"full":                      {Parts: []NamePart{partName}, display: []string{"full_name"}, sep: " "},
	"calling_full":              {Parts: []NamePart{partCalling, partFullName}, display: []string{"full_name"}, sep: " "},
	"full_transcription":        {Parts: []NamePart{partFullName, partLatin}, display: []string{"full_name"}, sep: " "},
	"salutation_given_family":   {Parts: []NamePart{partSalutation, partGiven, partFamily}, display: []string{"given_name", "family_name"}, sep: " "},
	"salutation_title_given_family": {Parts: []NamePart{partSalutation, partTitle, partGiven, partFamily},
		display: []string{"title", "given_name", "family_name"}, sep: " "},
	"salutation_title_given_family_degree": {Parts: []NamePart{partSalutation, partTitle, partGiven, partFamily, partDegree},
		display: []string{"title", "given_name", "family_name"}, sep: " ", suffix: "degree"},
}

func init() {
	for k, s := range nameSchemes {
		s.Key = k
	}
}

// DefaultNameScheme is pretix's default for events that never set one.
const DefaultNameScheme = "full"

// LookupNameScheme returns the scheme with the given key.
func LookupNameScheme(key string) (*NameScheme, bool) {
	s, ok := nameSchemes[key]
	return s, ok
}

// NameSchemeKeys lists the known scheme keys (unordered).
func NameSchemeKeys() []string {
	out := make([]string, 0, len(nameSchemes))
	for k := range nameSchemes {
		out = append(out, k)
	}
	return out
}

// schemeOrDefault never returns nil so callers need no nil checks.
func schemeOrDefault(key string) *NameScheme {
	if s, ok := nameSchemes[key]; ok {
		return s
	}
	return nameSchemes[DefaultNameScheme]
}

// HasPart reports whether the scheme asks for the part.
func (s *NameScheme) HasPart(key string) bool {
	for _, p := range s.Parts {
		if p.Key == key {
			return true
		}
	}
	return false
}

// Join builds the display name from name parts the way pretix does for this scheme.
func (s *NameScheme) Join(parts pretixwire.NameParts) string {
	var b strings.Builder
	for _, k := range s.display {
		v := strings.TrimSpace(parts[k])
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(s.sep)
		}
		b.WriteString(v)
	}
	if s.suffix != "" {
		if v := strings.TrimSpace(parts[s.suffix]); v != "" {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// nameParticles start a multi-word family name ("de la Cruz", "van Beethoven").
var nameParticles = map[string]bool{
	"al": true, "bin": true, "da": true, "dal": true, "de": true, "del": true, "della": true, "den": true,
	"der": true, "di": true, "dos": true, "du": true, "el": true, "la": true, "le": true, "ten": true,
	"ter": true, "van": true, "von": true, "zu": true, "zum": true, "zur": true,
}

// splitLegacyName guesses given and family name from a full name for schemes
// without such parts. pretix splits at the last space, which turns
// "Charlie de l'Exemple" into "Charlie de" / "l'Exemple"; we also move
// lower-case particles in front of the last word into the family name.
func splitLegacyName(full string) (given, family string) {
	words := strings.Fields(full)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], ""
	}
	i := len(words) - 1
	for i > 1 && nameParticles[words[i-1]] {
		i--
	}
	return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
}
