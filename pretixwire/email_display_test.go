package pretixwire

import "testing"

func TestDisplayEmails(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"aoife@xn--strae-oqa.example", "aoife@straße.example"},
		{`contacts with email "aoife@xn--strae-oqa.example"`, `contacts with email "aoife@straße.example"`},
		{"Contact: a@xn--og8h.example.org, b@plain.example", "Contact: a@🌈.example.org, b@plain.example"},
		{"x@sub.xn--mnchen-3ya.de.", "x@sub.münchen.de."},
		{"no address here xn--strae-oqa", "no address here xn--strae-oqa"},
		{"plain@example.org", "plain@example.org"},
		{"", ""},
	} {
		if got := DisplayEmails(tc.in); got != tc.want {
			t.Errorf("DisplayEmails(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
