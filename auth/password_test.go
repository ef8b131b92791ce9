package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		params HashParams
	}{
		{"default cost", DefaultHashParams},
		{"cheap cost", HashParams{Time: 1, Memory: 1024, Threads: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashPasswordWith(tt.params, "correct horse battery")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct horse") {
				t.Fatalf("hash %q", h)
			}
			if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
				t.Fatalf("right password rejected: %v", err)
			}
			if ok, _ := CheckPassword(h, "correct horse batterY"); ok {
				t.Fatal("wrong password accepted")
			}
		})
	}
	if _, err := CheckPassword("$bcrypt$x", "p"); err == nil {
		t.Fatal("foreign hash format accepted")
	}
}
