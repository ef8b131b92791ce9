package models

import (
	"time"

	"gorm.io/gorm"
)

// PretixWebhookSeen remembers a webhook notification id for a while, so a
// notification pretix delivers twice triggers only one fetch.
type PretixWebhookSeen struct {
	OrganizerID    int64 `gorm:"primaryKey"`
	NotificationID int64 `gorm:"primaryKey"`
	SeenAt         time.Time
}

// TableName pins the table name.
func (PretixWebhookSeen) TableName() string { return "pretix_webhook_seen" }

func init() {
	Register(Migration{ID: "0104_pretix_webhook_seen", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`CREATE TABLE pretix_webhook_seen (
				organizer_id INTEGER NOT NULL REFERENCES pretix_organizers(id) ON DELETE CASCADE,
				notification_id INTEGER NOT NULL,
				seen_at DATETIME NOT NULL,
				PRIMARY KEY (organizer_id, notification_id)
			) WITHOUT ROWID`,
			`CREATE INDEX ix_pretix_webhook_seen_at ON pretix_webhook_seen(seen_at)`,
		)
	}})
}
