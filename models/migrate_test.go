package models

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"pretix-hubspot/secret"
)

func TestMigrationsRunTwiceWithoutHarm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&User{Username: "a", PasswordHash: "h"}).Error; err != nil {
		t.Fatal(err)
	}
	var before int64
	db.Model(&schemaMigration{}).Count(&before)
	if before == 0 {
		t.Fatal("no migration recorded")
	}
	if err := Migrate(db); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	Close(db)
	db, err = Open(path) // and a third time through a fresh open
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	var after, users int64
	db.Model(&schemaMigration{}).Count(&after)
	db.Model(&User{}).Count(&users)
	if after != before || users != 1 {
		t.Fatalf("migrations %d→%d, users %d", before, after, users)
	}
}

func TestPragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	var mode string
	var fk int
	db.Raw("PRAGMA journal_mode").Scan(&mode)
	db.Raw("PRAGMA foreign_keys").Scan(&fk)
	if mode != "wal" || fk != 1 {
		t.Fatalf("journal_mode=%q foreign_keys=%d", mode, fk)
	}
}

// TestSealedValueNotInDatabaseFile stores a sealed token and checks the bytes
// on disk never contain the plain text.
func TestSealedValueNotInDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db.sqlite")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	const plain = "pat-na1-THIS-IS-A-VERY-SECRET-TOKEN"
	sealed, _ := box.Seal(plain)
	if err := db.Exec("CREATE TABLE t (v TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO t VALUES (?)", sealed).Error; err != nil {
		t.Fatal(err)
	}
	db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	Close(db)
	var all []byte
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(sealed[:20])) {
		t.Fatal("sealed value not found on disk: test is not looking at the right file")
	}
	if bytes.Contains(all, []byte(plain)) {
		t.Fatal("plain token found in the database file")
	}
}
