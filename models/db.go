// Package models holds the GORM models, the database opener and the
// append-only migrations.
package models

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"pretix-hubspot/fserr"
)

// Open opens (creating if needed) the SQLite database at path and applies
// every pending migration. Use ":memory:" only in throwaway tools; tests use a
// file in t.TempDir() so they exercise WAL like production.
func Open(path string) (*gorm.DB, error) {
	if path != ":memory:" {
		if err := prepareFile(path); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	// busy_timeout first so the following pragmas never fail on a lock.
	q.Add("_busy_timeout", "5000")
	q.Add("_journal_mode", "WAL")
	q.Add("_synchronous", "NORMAL")
	q.Add("_foreign_keys", "on")
	// Take the write lock at BEGIN, so a read-then-write transaction never
	// fails half way with SQLITE_BUSY.
	q.Add("_txlock", "immediate")
	// The driver URL-decodes the file name: a data directory named with
	// "%", "?" or "#" must not open another file.
	dsn := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?" + q.Encode()
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:         logger.Default.LogMode(logger.Silent),
		TranslateError: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// One connection: SQLite allows a single writer at a time, and the HTTP
	// handlers, the sync worker and the scheduler all write. Serialising in the
	// pool avoids "database is locked" errors under load; WAL keeps each
	// statement short. Consequence for callers: never use the outer *gorm.DB
	// inside a Transaction callback (use tx), or the call waits forever.
	sqlDB.SetMaxOpenConns(1)
	if err := Migrate(db); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// prepareFile makes sure the database can be opened for writing and is
// private: it holds personal data and pretix order secrets. SQLite gives
// its -wal and -shm files the database file's permissions, so creating the
// file 0600 covers those too. Writing a probe file first turns SQLite's
// misleading "unable to open database file" for a read-only or full
// directory into a message that names the condition.
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fserr.Describe("create database directory", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fserr.Describe("write to the data directory", dir, err)
	}
	_, werr := probe.Write(make([]byte, 4096))
	probe.Close()
	os.Remove(probe.Name())
	if werr != nil {
		return fserr.Describe("write to the data directory", dir, werr)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fserr.Describe("open database", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fserr.Describe("make the database private", p, err)
			}
		}
	}
	return nil
}

// Close closes the database's connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
