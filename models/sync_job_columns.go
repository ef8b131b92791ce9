package models

import "gorm.io/gorm"

// Wait codes say what a waiting job waits for, so screens can tell an
// unfinished setup (no usable mapping yet) from a rate limit.
const (
	WaitSetup = "setup" // the event's setup is unfinished
)

func init() {
	Register(Migration{ID: "0601_sync_jobs_wait_code", Up: func(tx *gorm.DB) error {
		return execAll(tx, `ALTER TABLE sync_jobs ADD COLUMN wait_code TEXT NOT NULL DEFAULT ''`)
	}})
	// The dashboard's picture counts records sent per day.
	Register(Migration{ID: "0602_sync_results_transmitted", Up: func(tx *gorm.DB) error {
		return execAll(tx, `CREATE INDEX ix_sync_results_transmitted ON sync_results(transmitted_at)`)
	}})
}

func init() {
	// "Most frequent causes" group problems by cause (HubSpot's category and
	// codes, the property, the mapping), not by message, which names the
	// order's own values. The covering index answers the counts alone.
	Register(Migration{ID: "0603_sync_jobs_cause", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`ALTER TABLE sync_jobs ADD COLUMN cause TEXT NOT NULL DEFAULT ''`,
			`DROP INDEX ix_sync_jobs_problem_causes`,
			`CREATE INDEX ix_sync_jobs_problem_causes ON sync_jobs(event_id, state, failure_mode, cause, last_error)
				WHERE state = 'failed' OR (state = 'pending' AND attempts > 0 AND last_error <> '')`,
		)
	}})
}

func init() {
	// The dashboard counts an event's records sent per day: with the event
	// on each result, one covering index answers that without touching the
	// orders (0602's index on the time alone needed a join per row).
	Register(Migration{ID: "0604_sync_results_event", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`ALTER TABLE sync_results ADD COLUMN event_id INTEGER NOT NULL DEFAULT 0`,
			`UPDATE sync_results SET event_id = (SELECT o.event_id FROM pretix_orders o WHERE o.id = sync_results.order_id)`,
			`DROP INDEX ix_sync_results_transmitted`,
			`CREATE INDEX ix_sync_results_event_time ON sync_results(event_id, transmitted_at, order_id)`,
		)
	}})
}

func init() {
	// "This change affects N orders already synced": the orders with
	// results of one mapping, and the re-sync of exactly those.
	Register(Migration{ID: "0605_sync_results_mapping", Up: func(tx *gorm.DB) error {
		return execAll(tx, `CREATE INDEX ix_sync_results_mapping ON sync_results(mapping_id, order_id)`)
	}})
}
