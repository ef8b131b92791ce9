package models

import (
	"time"

	"gorm.io/gorm"
)

// AlertSettings says where alerts go: e-mail over SMTP and/or a webhook.
// There is at most one row (ID 1); the SMTP password is secret.Box
// ciphertext.
type AlertSettings struct {
	ID                 uint `gorm:"primaryKey"`
	SMTPHost           string
	SMTPPort           int
	SMTPSecurity       string // "starttls", "tls" or "none"
	SMTPUsername       string
	SMTPPasswordSealed string
	MailFrom           string
	MailTo             string // comma-separated
	WebhookURL         string
	LastError          string // the last delivery failure, for the settings page
	LastErrorAt        *time.Time
	UpdatedAt          time.Time
}

// TableName pins the table name.
func (AlertSettings) TableName() string { return "alert_settings" }

// AlertState is the last announced state of one condition (an event's
// sync problems, a connection needing reconnect, a portal's daily limit):
// an alert goes out only when it changes.
type AlertState struct {
	Key       string `gorm:"primaryKey"`
	Kind      string
	Active    bool
	Label     string // what the condition is about, for the message that clears it
	Link      string
	ChangedAt time.Time
}

// TableName pins the table name.
func (AlertState) TableName() string { return "alert_states" }

func init() {
	Register(Migration{ID: "0801_alerts", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE alert_settings (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				smtp_host TEXT NOT NULL DEFAULT '',
				smtp_port INTEGER NOT NULL DEFAULT 587,
				smtp_security TEXT NOT NULL DEFAULT 'starttls',
				smtp_username TEXT NOT NULL DEFAULT '',
				smtp_password_sealed TEXT NOT NULL DEFAULT '',
				mail_from TEXT NOT NULL DEFAULT '',
				mail_to TEXT NOT NULL DEFAULT '',
				webhook_url TEXT NOT NULL DEFAULT '',
				last_error TEXT NOT NULL DEFAULT '',
				last_error_at DATETIME,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE TABLE alert_states (
				key TEXT PRIMARY KEY,
				kind TEXT NOT NULL,
				active BOOLEAN NOT NULL,
				label TEXT NOT NULL DEFAULT '',
				link TEXT NOT NULL DEFAULT '',
				changed_at DATETIME NOT NULL
			)`,
		)
	}})
}
