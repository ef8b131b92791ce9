package models

import "gorm.io/gorm"

func init() {
	// Orders from webhooks, Sync now and Retry are claimed before a bulk
	// backfill's; this index finds them without reading the backlog.
	Register(Migration{ID: "0504_sync_jobs_live_lane", Up: func(tx *gorm.DB) error {
		return execAll(tx, `CREATE INDEX ix_sync_jobs_live ON sync_jobs(provider, not_before, id) WHERE state = 'pending' AND triggered_by <> 'bulk'`)
	}})
}
