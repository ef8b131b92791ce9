package models

import "gorm.io/gorm"

func init() {
	// The "Sync problems" pages, the dashboard flag and their counts read
	// only failed jobs and pending jobs whose last attempt failed. A partial
	// index keeps them fast while a backlog of 100,000 pending jobs sits in
	// the same table. datasync.problemWhere repeats the condition verbatim,
	// which is how SQLite recognises that the index applies.
	Register(Migration{ID: "0401_sync_problems_index", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE INDEX ix_sync_jobs_problems ON sync_jobs(event_id, triggered_at)
				WHERE state = 'failed' OR (state = 'pending' AND attempts > 0 AND last_error <> '')`,
		)
	}})
}
