package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	box, err := LoadOrCreate(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"pat-na1-0123456789abcdef", "ünïcødé ✓", "x"} {
		sealed, err := box.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		// One-letter values appear in random base64 by chance; check the long ones.
		if len(plain) >= 8 && strings.Contains(sealed, plain) {
			t.Fatalf("sealed value %q contains the plain text", sealed)
		}
		again, _ := box.Seal(plain)
		if again == sealed {
			t.Fatal("two seals of one value are equal: nonce reused")
		}
		got, err := box.Open(sealed)
		if err != nil || got != plain {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
	}
	if s, _ := box.Seal(""); s != "" {
		t.Fatalf("empty seals to %q", s)
	}
}

func TestKeyFileCreatedPrivateAndReused(t *testing.T) {
	dir := t.TempDir()
	box1, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	sealed, _ := box1.Seal("token")
	box2, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := box2.Open(sealed); err != nil || got != "token" {
		t.Fatalf("reloaded key cannot open: %q %v", got, err)
	}
}

func TestWrongKeyAndTampering(t *testing.T) {
	a, _ := NewBox(make([]byte, 32))
	k := make([]byte, 32)
	k[0] = 1
	b, _ := NewBox(k)
	sealed, _ := a.Seal("secret")
	if _, err := b.Open(sealed); err == nil {
		t.Fatal("opened with the wrong key")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := a.Open(tampered); err == nil {
		t.Fatal("opened a tampered value")
	}
	if _, err := a.Open("plain"); err == nil {
		t.Fatal("opened an unsealed value")
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{strings.Repeat("ab", 32), true},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true},
		{"short", false},
		{strings.Repeat("ab", 16), false},
	}
	for _, tt := range tests {
		_, err := ParseKey(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseKey(%q) err=%v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if _, err := LoadOrCreate(t.TempDir(), "bad"); err == nil {
		t.Fatal("bad env key accepted")
	}
}
