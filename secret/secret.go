// Package secret encrypts values at rest (tokens, client secrets) with
// AES-256-GCM under a key that lives in the data directory or the environment.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pretix-hubspot/fserr"
)

// KeyFile is the key's file name inside the data directory.
const KeyFile = "secret.key"

const prefix = "v1:"

// Box seals and opens strings. The zero value is not usable; use NewBox or
// LoadOrCreate.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("encryption key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// ParseKey accepts a key as 64 hex characters or standard/URL base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("the encryption key must be 32 bytes written as 64 hex characters or base64")
}

// LoadOrCreate returns a Box for envKey when it is set, and otherwise for the
// key file in dataDir, creating it with mode 0600 on first run.
func LoadOrCreate(dataDir, envKey string) (*Box, error) {
	if envKey != "" {
		key, err := ParseKey(envKey)
		if err != nil {
			return nil, err
		}
		return NewBox(key)
	}
	path := filepath.Join(dataDir, KeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := writeKeyFile(dataDir, path, key); err != nil {
			return nil, err
		}
		return NewBox(key)
	}
	if err != nil {
		return nil, fserr.Describe("read key file", path, err)
	}
	if strings.TrimSpace(string(raw)) == "" {
		return nil, fmt.Errorf("key file %s is empty (was the disk full when it was written?): restore it from your backup; "+
			"if this data directory holds no connections yet, delete the file and a new key is made", path)
	}
	key, err := ParseKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("key file %s is damaged: %w; restore it from your backup", path, err)
	}
	return NewBox(key)
}

// writeKeyFile writes the key so that a crash or a full disk leaves either
// no key file or a complete one, never an empty file that later starts
// would take for a damaged key: a temporary file, synced, then renamed.
func writeKeyFile(dataDir, path string, key []byte) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fserr.Describe("create data directory", dataDir, err)
	}
	f, err := os.CreateTemp(dataDir, ".secret.key-*")
	if err != nil {
		return fserr.Describe("create key file in", dataDir, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone after the rename; cleans up after a failure
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fserr.Describe("write key file", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fserr.Describe("write key file", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fserr.Describe("write key file", path, err)
	}
	if err := f.Close(); err != nil {
		return fserr.Describe("write key file", path, err)
	}
	// Link, not rename: a key file another process created meanwhile is
	// never replaced by ours.
	if err := os.Link(tmp, path); err != nil {
		return fserr.Describe("create key file", path, err)
	}
	if d, err := os.Open(dataDir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Seal encrypts plain; the result is printable and safe to store in a TEXT
// column. An empty string seals to an empty string so "not set" stays visible.
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, prefix) {
		return "", errors.New("secret: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns {
		return "", errors.New("secret: too short")
	}
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return "", errors.New("secret: cannot decrypt (wrong key or damaged value)")
	}
	return string(plain), nil
}
