package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

func init() {
	Register(Migration{ID: "0503_health_probe", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at DATETIME NOT NULL)`,
			`INSERT INTO health_probe (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)`)
	}})
}

// ProbeWrite writes one row, so a readiness check notices a database that
// can be read but not written (a full disk, a read-only file system)
// before the sync loses work to it.
func ProbeWrite(ctx context.Context, db *gorm.DB, now time.Time) error {
	return db.WithContext(ctx).Exec(`UPDATE health_probe SET checked_at = ? WHERE id = 1`, now.UTC()).Error
}
