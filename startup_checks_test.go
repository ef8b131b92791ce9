package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/config"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

const (
	keyA = "1111111111111111111111111111111111111111111111111111111111111111"
	keyB = "2222222222222222222222222222222222222222222222222222222222222222"
)

func startWith(t *testing.T, dir string, args ...string) (*app, error) {
	t.Helper()
	cfg, err := config.Load(append([]string{"--data-dir", dir}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clockwork.NewRealClock())
	if err == nil {
		t.Cleanup(a.Close)
	}
	return a, err
}

// sealToken stores a pretix organizer whose token was sealed with key.
func sealToken(t *testing.T, a *app, key string) {
	t.Helper()
	k, _ := secret.ParseKey(key)
	box, _ := secret.NewBox(k)
	tok, _ := box.Seal("pretix-token")
	hook, _ := box.Seal("hook-secret")
	org := models.PretixOrganizer{BaseURL: "https://pretix.example/api/v1/", Slug: "org", Name: "Org", TokenSealed: tok, WebhookSecretSealed: hook, WebhookSecretHash: "h"}
	if err := a.db.Create(&org).Error; err != nil {
		t.Fatal(err)
	}
}

func TestStartWithAnotherKey(t *testing.T) {
	for _, tc := range []struct {
		name     string
		second   []string
		wantErr  string // "" when the start succeeds
		tokenSet bool   // the organizer's token is still there after the start
	}{
		{name: "the same key", second: []string{"--secret-key", keyA}, tokenSet: true},
		{name: "another key", second: []string{"--secret-key", keyB}, wantErr: "does not match this data directory"},
		{name: "the key file instead of the key", second: nil, wantErr: "--forget-secrets"},
		{name: "another key, old one lost", second: []string{"--secret-key", keyB, "--forget-secrets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, err := startWith(t, dir, "--secret-key", keyA)
			if err != nil {
				t.Fatal(err)
			}
			sealToken(t, a, keyA)
			a.Close()
			b, err := startWith(t, dir, tc.second...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("start: %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			var org models.PretixOrganizer
			if err := b.db.First(&org).Error; err != nil {
				t.Fatal(err)
			}
			if (org.TokenSealed != "") != tc.tokenSet {
				t.Fatalf("token sealed = %q after the start", org.TokenSealed)
			}
			if !tc.tokenSet {
				// Erased, not lost: the page works and says to enter it again.
				v, err := b.pretix.Get(context.Background(), org.ID)
				if err != nil || v.TokenSet {
					t.Fatalf("organizer after --forget-secrets: %+v, %v", v, err)
				}
			}
		})
	}
}

// TestStartUpgradesWithoutCheckValue: a database from before the key check
// is verified against a stored token, then gets its check value.
func TestStartUpgradesWithoutCheckValue(t *testing.T) {
	dir := t.TempDir()
	a, err := startWith(t, dir, "--secret-key", keyA)
	if err != nil {
		t.Fatal(err)
	}
	sealToken(t, a, keyA)
	a.db.Exec("DELETE FROM key_check")
	a.Close()
	if _, err := startWith(t, dir, "--secret-key", keyB); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wrong key on an old database: %v", err)
	}
	if _, err := startWith(t, dir, "--secret-key", keyA); err != nil {
		t.Fatalf("right key on an old database: %v", err)
	}
}

func TestStartWithEmptyOrDamagedKeyFile(t *testing.T) {
	for name, content := range map[string]string{"empty": "", "damaged": "not a key\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, secret.KeyFile)
			os.WriteFile(path, []byte(content), 0o600)
			_, err := startWith(t, dir)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), name) {
				t.Fatalf("start: %v, want a message naming %s as %s", err, path, name)
			}
		})
	}
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	// An existing database from an older version, readable by others.
	db, err := models.Open(filepath.Join(dir, "pretix-hubspot.db"))
	if err != nil {
		t.Fatal(err)
	}
	models.Close(db)
	os.Chmod(filepath.Join(dir, "pretix-hubspot.db"), 0o644)
	if _, err := startWith(t, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pretix-hubspot.db", "pretix-hubspot.db-wal", "pretix-hubspot.db-shm", secret.KeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
}
