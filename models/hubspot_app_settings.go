package models

import (
	"time"

	"gorm.io/gorm"
)

// HubSpotAppSettings holds the credentials of the user's own HubSpot app.
// There is at most one row (ID 1); the client secret is secret.Box ciphertext.
type HubSpotAppSettings struct {
	ID                 uint `gorm:"primaryKey"`
	ClientID           string
	ClientSecretSealed string
	UpdatedAt          time.Time
}

// TableName keeps the table name independent of GORM's pluraliser.
func (HubSpotAppSettings) TableName() string { return "hubspot_app_settings" }

func init() {
	Register(Migration{ID: "0201_hubspot_app_settings", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE hubspot_app_settings (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				client_id TEXT NOT NULL DEFAULT '',
				client_secret_sealed TEXT NOT NULL DEFAULT '',
				updated_at DATETIME NOT NULL
			)`,
		)
	}})
}
