package models

import (
	"time"

	"gorm.io/gorm"
)

// EventProvider is a sync provider ("plugin") of one event: whether it is
// enabled, when its integration became active (orders placed before that are
// never queued automatically) and the optional re-sync triggers.
type EventProvider struct {
	ID               int64 `gorm:"primaryKey"`
	EventID          int64
	Provider         string // e.g. "hubspot"
	Enabled          bool
	ActivatedAt      *time.Time
	ResyncOnPaid     bool
	ResyncOnChanged  bool
	ResyncOnCanceled bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TableName pins the table name.
func (EventProvider) TableName() string { return "event_providers" }

// Sync job states. "Waiting" is a pending job whose NotBefore lies ahead.
const (
	JobPending  = "pending"
	JobInFlight = "in_flight"
	JobFailed   = "failed"
)

// Failure modes, as pretix names them.
const (
	FailureExceeded  = "exceeded"
	FailurePermanent = "permanent"
	FailureConfig    = "config"
	FailureInternal  = "internal"
)

// SyncJob is the one queue row per (order, provider).
type SyncJob struct {
	ID             int64 `gorm:"primaryKey"`
	OrderID        int64
	EventID        int64
	Provider       string
	TriggeredBy    string
	TriggeredAt    time.Time
	NotBefore      time.Time
	Attempts       int
	State          string
	LeaseOwner     string
	LeaseExpiresAt *time.Time
	LeasedAt       *time.Time // when the current lease began ("in flight since")
	LeaseExpiries  int
	FailureMode    string
	LastError      string
	LastErrorJSON  string // the provider's structured error (status, category, correlation id, …)
	WaitReason     string // why a pending job waits (rate limit, plugin disabled, …)
	WaitCode       string // what it waits for: WaitSetup, or "" (a time)
	Cause          string // groups failures of one kind ("" groups by LastError)
	Rerun          bool
	UpdatedAt      time.Time
}

// TableName pins the table name.
func (SyncJob) TableName() string { return "sync_jobs" }

// SyncResult is one external object a sync created or updated.
type SyncResult struct {
	ID            int64 `gorm:"primaryKey"`
	OrderID       int64
	EventID       int64  // the order's event, so per-event counts need no join
	PositionID    *int64 // pretix position id for position mappings
	MappingID     int64
	Provider      string
	ObjectType    string // e.g. "contacts"
	IDProperty    string
	IDValue       string
	ExternalID    string
	ExternalLink  string
	Action        string // created, updated, nothing_to_do, skipped, archived (a canceled ticket's line item), left_deal (a canceled ticket's record taken off the deal)
	TransmittedAt time.Time
}

// TableName pins the table name.
func (SyncResult) TableName() string { return "sync_results" }

func init() {
	Register(Migration{ID: "0400_sync_queue", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE event_providers (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				provider TEXT NOT NULL,
				enabled INTEGER NOT NULL DEFAULT 0,
				activated_at DATETIME,
				resync_on_paid INTEGER NOT NULL DEFAULT 0,
				resync_on_changed INTEGER NOT NULL DEFAULT 0,
				resync_on_canceled INTEGER NOT NULL DEFAULT 0,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_event_providers ON event_providers(event_id, provider)`,
			`CREATE TABLE sync_jobs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				provider TEXT NOT NULL,
				triggered_by TEXT NOT NULL,
				triggered_at DATETIME NOT NULL,
				not_before DATETIME NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				state TEXT NOT NULL,
				lease_owner TEXT NOT NULL DEFAULT '',
				lease_expires_at DATETIME,
				lease_expiries INTEGER NOT NULL DEFAULT 0,
				failure_mode TEXT NOT NULL DEFAULT '',
				last_error TEXT NOT NULL DEFAULT '',
				last_error_json TEXT NOT NULL DEFAULT '',
				wait_reason TEXT NOT NULL DEFAULT '',
				rerun INTEGER NOT NULL DEFAULT 0,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_sync_jobs_order_provider ON sync_jobs(order_id, provider)`,
			// Claiming: due pending jobs in time order.
			`CREATE INDEX ix_sync_jobs_due ON sync_jobs(state, not_before)`,
			// Problems pages and dashboard warnings per event.
			`CREATE INDEX ix_sync_jobs_event_state ON sync_jobs(event_id, state, triggered_at)`,
			`CREATE TABLE sync_results (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				position_id INTEGER,
				mapping_id INTEGER NOT NULL,
				provider TEXT NOT NULL,
				object_type TEXT NOT NULL,
				id_property TEXT NOT NULL,
				id_value TEXT NOT NULL,
				external_id TEXT NOT NULL DEFAULT '',
				external_link TEXT NOT NULL DEFAULT '',
				action TEXT NOT NULL,
				transmitted_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_sync_results_object ON sync_results(order_id, mapping_id, IFNULL(position_id, 0))`,
		)
	}})
}
