package models

import (
	"time"

	"gorm.io/gorm"
)

// PretixOrganizer is one connected pretix organizer account.
type PretixOrganizer struct {
	ID      int64 `gorm:"primaryKey"`
	BaseURL string
	Slug    string
	Name    string
	// TokenSealed holds the API token sealed with secret.Box; it never leaves
	// the pretix package in plain text.
	TokenSealed string
	// WebhookSecretSealed is the path secret of the webhook URL (sealed so the
	// UI can show the URL again); WebhookSecretHash is its SHA-256 in hex and
	// is what incoming webhooks are looked up by.
	WebhookSecretSealed string
	WebhookSecretHash   string
	WebhookUser         string
	WebhookPasswordHash string // bcrypt; empty when Basic auth is off
	// PullCursor is the modified_since for the next organizer-wide pull
	// (server time of the last complete pull minus the overlap).
	PullCursor         *time.Time
	OrdersEndpoint     string // "organizer", "event" (fallback for pretix < 2023.8) or "" (not probed yet)
	LastPullStatus     string // "", "running", "ok", "error"
	LastPullError      string
	LastPullErrorCode  string
	LastPullStartedAt  *time.Time
	LastPullFinishedAt *time.Time
	LastPullSuccessAt  *time.Time
	LastPullOrders     int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TableName pins the table name so it never depends on GORM's pluraliser.
func (PretixOrganizer) TableName() string { return "pretix_organizers" }

// Pull status values stored in PretixOrganizer.LastPullStatus.
const (
	PullStatusRunning = "running"
	PullStatusOK      = "ok"
	PullStatusError   = "error"
)

func init() {
	Register(Migration{ID: "0100_pretix_organizers", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`CREATE TABLE pretix_organizers (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				base_url TEXT NOT NULL,
				slug TEXT NOT NULL,
				name TEXT NOT NULL DEFAULT '',
				token_sealed TEXT NOT NULL DEFAULT '',
				webhook_secret_sealed TEXT NOT NULL DEFAULT '',
				webhook_secret_hash TEXT NOT NULL,
				webhook_user TEXT NOT NULL DEFAULT '',
				webhook_password_hash TEXT NOT NULL DEFAULT '',
				pull_cursor DATETIME,
				orders_endpoint TEXT NOT NULL DEFAULT '',
				last_pull_status TEXT NOT NULL DEFAULT '',
				last_pull_error TEXT NOT NULL DEFAULT '',
				last_pull_error_code TEXT NOT NULL DEFAULT '',
				last_pull_started_at DATETIME,
				last_pull_finished_at DATETIME,
				last_pull_success_at DATETIME,
				last_pull_orders INTEGER NOT NULL DEFAULT 0,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_pretix_organizers_base_slug ON pretix_organizers(base_url, slug)`,
			`CREATE UNIQUE INDEX ux_pretix_organizers_webhook ON pretix_organizers(webhook_secret_hash)`,
		)
	}})
}

// pretixExec runs schema statements in order, stopping at the first error.
func pretixExec(tx *gorm.DB, stmts ...string) error {
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}
