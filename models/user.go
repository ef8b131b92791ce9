package models

import (
	"time"

	"gorm.io/gorm"
)

// User is someone who may sign in to the UI.
type User struct {
	ID           uint `gorm:"primaryKey"`
	Username     string
	PasswordHash string
	CreatedAt    time.Time
}

// Session is a server-side login. ID is the SHA-256 of the cookie value, so a
// leaked database does not leak usable sessions.
type Session struct {
	ID         string `gorm:"primaryKey"`
	UserID     uint
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func init() {
	Register(Migration{ID: "0001_users_sessions", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE users (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				username TEXT NOT NULL,
				password_hash TEXT NOT NULL,
				created_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX idx_users_username ON users(username COLLATE NOCASE)`,
			`CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				csrf_token TEXT NOT NULL,
				created_at DATETIME NOT NULL,
				last_seen_at DATETIME NOT NULL,
				expires_at DATETIME NOT NULL
			)`,
			`CREATE INDEX idx_sessions_expires ON sessions(expires_at)`,
		)
	}})
}

// execAll runs statements in order and stops at the first error.
func execAll(tx *gorm.DB, stmts ...string) error {
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}
