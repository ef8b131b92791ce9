package models

import (
	"time"

	"gorm.io/gorm"
)

// HubSpotEventLink says which HubSpot portal an event writes to. Several
// events may share one portal (and so its rate-limit budget).
type HubSpotEventLink struct {
	EventID  int64 `gorm:"primaryKey"`
	HubID    int64
	LinkedAt time.Time
}

// TableName pins the table name.
func (HubSpotEventLink) TableName() string { return "hubspot_event_links" }

func init() {
	Register(Migration{ID: "0202_hubspot_event_links", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE hubspot_event_links (
				event_id INTEGER PRIMARY KEY REFERENCES pretix_events(id) ON DELETE CASCADE,
				hub_id INTEGER NOT NULL,
				linked_at DATETIME NOT NULL
			)`,
			`CREATE INDEX ix_hubspot_event_links_hub ON hubspot_event_links(hub_id)`,
		)
	}})
}
