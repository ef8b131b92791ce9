package pretixwire

import (
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want, domain string }{
		{"anonymous@🌈.example.org", "anonymous@xn--og8h.example.org", "xn--og8h.example.org"},
		{"  Ada@Analytical.Example\n", "ada@analytical.example", "analytical.example"},
		{"ada@analytical.example", "ada@analytical.example", "analytical.example"},
		{"Jörg@Bücher.example", "jörg@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"info@XN--BCHER-KVA.example", "info@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"user@例え.テスト", "user@xn--r8jz45g.xn--zckzah", "xn--r8jz45g.xn--zckzah"},
		{"weird@at@Example.org", "weird@at@example.org", "example.org"},
		{"no-at-sign", "no-at-sign", ""},
		{"   ", "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		got := NormalizeEmail(tc.in)
		if got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if d := EmailDomain(got); d != tc.domain {
			t.Errorf("EmailDomain(%q) = %q, want %q", got, d, tc.domain)
		}
	}
}

func TestNormalizeEmailDoesNotAllocateWhenNormal(t *testing.T) {
	s := "ada@analytical.example"
	if n := testing.AllocsPerRun(100, func() { _ = NormalizeEmail(s) }); n != 0 {
		t.Errorf("%v allocations for an already normal address", n)
	}
}
