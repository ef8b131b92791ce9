package fields

import (
	"pretix-hubspot/pretixwire"
	"testing"
)

func TestNameSchemeJoin(t *testing.T) {
	tests := []struct {
		scheme string
		parts  pretixwire.NameParts
		want   string
	}{
		{"given_family", pretixwire.NameParts{"given_name": "Ada", "family_name": "Lovelace"}, "Ada Lovelace"},
		{"given_family", pretixwire.NameParts{"given_name": " ", "family_name": "Lovelace"}, "Lovelace"},
		{"title_given_middle_family", pretixwire.NameParts{"title": "Dr.", "given_name": "Zoë", "middle_name": "Maria", "family_name": "Ångström"}, "Dr. Zoë Maria Ångström"},
		{"family_given", pretixwire.NameParts{"given_name": "Taro", "family_name": "Yamada"}, "Yamada Taro"},
		{"family_nospace_given", pretixwire.NameParts{"given_name": "泽东", "family_name": "毛"}, "毛泽东"},
		{"family_comma_given", pretixwire.NameParts{"given_name": "John", "family_name": "Doe"}, "Doe, John"},
		{"family_comma_given", pretixwire.NameParts{"given_name": "John"}, "John"},
		{"full", pretixwire.NameParts{"full_name": "Prince"}, "Prince"},
		{"calling_full", pretixwire.NameParts{"calling_name": "Jo", "full_name": "Johanna Doe"}, "Johanna Doe"},
		{"full_transcription", pretixwire.NameParts{"full_name": "庄司", "latin_transcription": "Shōji"}, "庄司"},
		{"salutation_given_family", pretixwire.NameParts{"salutation": "Ms", "given_name": "Ada", "family_name": "Lovelace"}, "Ada Lovelace"},
		{"salutation_title_given_family_degree", pretixwire.NameParts{"salutation": "Mr", "title": "Prof.", "given_name": "Max", "family_name": "Muster", "degree": "MBA"}, "Prof. Max Muster, MBA"},
	}
	for _, tc := range tests {
		s, ok := LookupNameScheme(tc.scheme)
		if !ok {
			t.Fatalf("scheme %s unknown", tc.scheme)
		}
		if got := s.Join(tc.parts); got != tc.want {
			t.Errorf("%s.Join(%v) = %q, want %q", tc.scheme, tc.parts, got, tc.want)
		}
	}
}

func TestSplitLegacyName(t *testing.T) {
	tests := []struct{ full, given, family string }{
		{"Charlie de l'Exemple", "Charlie", "de l'Exemple"},
		{"A B C D", "A B C", "D"},
		{"Ludwig van Beethoven", "Ludwig", "van Beethoven"},
		{"Maria de la Cruz", "Maria", "de la Cruz"},
		{"de Gaulle", "de", "Gaulle"},
		{"Prince", "Prince", ""},
		{"  Ada   Lovelace ", "Ada", "Lovelace"},
		{"", "", ""},
	}
	for _, tc := range tests {
		g, f := splitLegacyName(tc.full)
		if g != tc.given || f != tc.family {
			t.Errorf("split(%q) = %q / %q, want %q / %q", tc.full, g, f, tc.given, tc.family)
		}
	}
}

func TestNamePartsEmpty(t *testing.T) {
	if !(pretixwire.NameParts{"_scheme": "full"}).Empty() || !(pretixwire.NameParts{}).Empty() || !(pretixwire.NameParts{"given_name": " "}).Empty() {
		t.Error("parts without text are empty")
	}
	if (pretixwire.NameParts{"_scheme": "full", "full_name": "X"}).Empty() {
		t.Error("parts with text are not empty")
	}
}
