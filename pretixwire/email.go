package pretixwire

import (
	"regexp"
	"strings"

	"golang.org/x/net/idna"
)

// NormalizeEmail trims and lower-cases an address and converts its domain to
// ASCII (IDNA), so "Anonymous@🌈.Example.org " becomes
// "anonymous@xn--og8h.example.org". Addresses that are already normalised are
// returned without allocating.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || isNormalASCII(s) {
		return s
	}
	s = strings.ToLower(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	local, domain := s[:at], s[at+1:]
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = ascii
	} else if ascii, err := idna.Punycode.ToASCII(domain); err == nil {
		// Lookup rejects symbols such as emoji, which pretix (IDNA 2003)
		// still encodes; plain Punycode matches what pretix sends.
		domain = ascii
	}
	return local + "@" + domain
}

// EmailDomain is the domain of a normalised address ("" without "@").
func EmailDomain(normalized string) string {
	at := strings.LastIndexByte(normalized, '@')
	if at < 0 {
		return ""
	}
	return normalized[at+1:]
}

// isNormalASCII reports whether s has only printable ASCII without upper case.
func isNormalASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c >= 'A' && c <= 'Z') || c <= ' ' {
			return false
		}
	}
	return true
}

// emailWithACE finds addresses whose domain has an IDNA label ("xn--").
var emailWithACE = regexp.MustCompile(`[^\s"'“”‘’<>()\[\],;:@]+@[A-Za-z0-9.-]*xn--[A-Za-z0-9.-]*[A-Za-z0-9]`)

// DisplayEmails turns the ASCII (IDNA) domains of the addresses in a text
// back into Unicode, for people: "a@xn--strae-oqa.example" reads
// "a@straße.example". HubSpot and pretix get the ASCII form; screens,
// messages and previews show this one.
func DisplayEmails(text string) string {
	if !strings.Contains(text, "xn--") {
		return text
	}
	return emailWithACE.ReplaceAllStringFunc(text, func(addr string) string {
		at := strings.LastIndexByte(addr, '@')
		u, err := idna.Punycode.ToUnicode(addr[at+1:])
		if err != nil {
			return addr
		}
		return addr[:at+1] + u
	})
}
