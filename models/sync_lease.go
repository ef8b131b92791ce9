package models

import "gorm.io/gorm"

func init() {
	// Leases are short and renewed while a run goes on, so the time a job
	// was claimed is no longer lease_expires_at minus a fixed length: the
	// order box shows "in flight since" from it.
	Register(Migration{ID: "0502_sync_jobs_leased_at", Up: func(tx *gorm.DB) error {
		return execAll(tx, `ALTER TABLE sync_jobs ADD COLUMN leased_at DATETIME`)
	}})
}
