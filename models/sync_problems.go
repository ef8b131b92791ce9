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

func init() {
	// The problems pages page through ids in trigger order and filter by
	// failure mode, and their counts group by mode and message. Carrying
	// state, failure_mode (and, for the counts, last_error) in the partial
	// indexes answers all of that from the indexes alone: no table row is
	// read for a skipped page or a counted problem.
	Register(Migration{ID: "0403_sync_problems_covering", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`DROP INDEX ix_sync_jobs_problems`,
			`CREATE INDEX ix_sync_jobs_problems ON sync_jobs(event_id, triggered_at, state, failure_mode)
				WHERE state = 'failed' OR (state = 'pending' AND attempts > 0 AND last_error <> '')`,
			`CREATE INDEX ix_sync_jobs_problem_causes ON sync_jobs(event_id, state, failure_mode, last_error)
				WHERE state = 'failed' OR (state = 'pending' AND attempts > 0 AND last_error <> '')`,
		)
	}})
}
