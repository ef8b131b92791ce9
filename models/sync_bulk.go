package models

import (
	"time"

	"gorm.io/gorm"
)

// SyncBulkRun is one "Sync orders…" action on an event's orders list. Its
// orders are kept in sync_bulk_run_orders, so its progress is counted from
// the queue itself (an order whose job is gone was synced) rather than from
// counters that a crash could leave wrong.
type SyncBulkRun struct {
	ID         int64 `gorm:"primaryKey"`
	EventID    int64
	Total      int    // orders queued
	Skipped    int    // test-mode orders, never transferred
	Selection  string // "selected" or "filter"
	FilterJSON string // the orders list's filter when Selection is "filter"
	CreatedAt  time.Time
	FinishedAt *time.Time // set once no order of the run was left pending
	CanceledAt *time.Time
}

// TableName pins the table name.
func (SyncBulkRun) TableName() string { return "sync_bulk_runs" }

// SyncBulkRunOrder is one order of a bulk run; Canceled marks orders whose
// pending job the run's Cancel removed (they were not synced).
type SyncBulkRunOrder struct {
	RunID    int64 `gorm:"primaryKey"`
	OrderID  int64 `gorm:"primaryKey"`
	Canceled bool
}

// TableName pins the table name.
func (SyncBulkRunOrder) TableName() string { return "sync_bulk_run_orders" }

func init() {
	Register(Migration{ID: "0402_sync_bulk_runs", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE sync_bulk_runs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				total INTEGER NOT NULL,
				skipped INTEGER NOT NULL DEFAULT 0,
				selection TEXT NOT NULL,
				filter_json TEXT NOT NULL DEFAULT '',
				created_at DATETIME NOT NULL,
				finished_at DATETIME,
				canceled_at DATETIME
			)`,
			`CREATE INDEX ix_sync_bulk_runs_event ON sync_bulk_runs(event_id, id)`,
			`CREATE TABLE sync_bulk_run_orders (
				run_id INTEGER NOT NULL REFERENCES sync_bulk_runs(id) ON DELETE CASCADE,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				canceled INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (run_id, order_id)
			) WITHOUT ROWID`,
		)
	}})
}
