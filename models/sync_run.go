package models

import (
	"time"

	"gorm.io/gorm"
)

// Run kinds in the run history.
const (
	RunSync = "sync" // one batch of one event's orders
	RunPull = "pull" // one pull of an organizer's orders from pretix
)

// SyncRun is one row of the run history (the organizer's Sync activity
// page): what a sync run or a pull did and cost. Rows older than the
// retention are swept.
type SyncRun struct {
	ID          int64     `gorm:"primaryKey" json:"id"`
	Kind        string    `json:"kind"`
	OrganizerID int64     `json:"organizer_id"`
	EventID     *int64    `json:"event_id"` // nil for pulls
	Provider    string    `json:"provider"`
	Lane        string    `json:"lane"` // live or bulk; "" for pulls
	StartedAt   time.Time `json:"started_at"`
	DurationMS  int64     `json:"duration_ms"`
	Orders      int       `json:"orders"` // orders synced or pulled
	Done        int       `json:"done"`
	Failed      int       `json:"failed"` // failed for good
	Retry       int       `json:"retry"`  // failed for now
	Waiting     int       `json:"waiting"`
	Created     int       `json:"created"`
	Updated     int       `json:"updated"`
	Unchanged   int       `json:"unchanged"`
	Skipped     int       `json:"skipped"`
	Rejected    int       `json:"rejected"` // failed because the provider refused them
	Requests    int64     `json:"requests"`
	Waits       int64     `json:"waits"` // rate-limit answers
	Error       string    `json:"error"`
}

// TableName pins the table name.
func (SyncRun) TableName() string { return "sync_runs" }

func init() {
	Register(Migration{ID: "0702_sync_runs", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE sync_runs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				kind TEXT NOT NULL,
				organizer_id INTEGER NOT NULL REFERENCES pretix_organizers(id) ON DELETE CASCADE,
				event_id INTEGER REFERENCES pretix_events(id) ON DELETE CASCADE,
				provider TEXT NOT NULL DEFAULT '',
				lane TEXT NOT NULL DEFAULT '',
				started_at DATETIME NOT NULL,
				duration_ms INTEGER NOT NULL DEFAULT 0,
				orders INTEGER NOT NULL DEFAULT 0,
				done INTEGER NOT NULL DEFAULT 0,
				failed INTEGER NOT NULL DEFAULT 0,
				retry INTEGER NOT NULL DEFAULT 0,
				waiting INTEGER NOT NULL DEFAULT 0,
				created INTEGER NOT NULL DEFAULT 0,
				updated INTEGER NOT NULL DEFAULT 0,
				unchanged INTEGER NOT NULL DEFAULT 0,
				skipped INTEGER NOT NULL DEFAULT 0,
				rejected INTEGER NOT NULL DEFAULT 0,
				requests INTEGER NOT NULL DEFAULT 0,
				waits INTEGER NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT ''
			)`,
			// The page lists an organizer's newest runs, optionally of one event.
			`CREATE INDEX ix_sync_runs_org ON sync_runs(organizer_id, started_at)`,
			`CREATE INDEX ix_sync_runs_event ON sync_runs(event_id, started_at)`,
		)
	}})
}
