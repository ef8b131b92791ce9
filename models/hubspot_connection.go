package models

import (
	"time"

	"gorm.io/gorm"
)

// Kinds of HubSpot connection.
const (
	HubSpotKindOAuth  = "oauth"  // authorization-code grant with refresh token
	HubSpotKindStatic = "static" // service key or legacy private-app token
)

// States of a HubSpot connection.
const (
	HubSpotStateActive         = "active"
	HubSpotStateNeedsReconnect = "needs_reconnect" // a definitive auth failure; jobs park as misconfiguration
	HubSpotStateRemoved        = "removed"         // disconnected by the user; tokens wiped
)

// HubSpotConnection is one connected HubSpot portal. Token columns hold
// secret.Box ciphertext only; the hubspot package is the one place that opens
// them, so nothing else can leak a token by accident.
type HubSpotConnection struct {
	ID                 uint   `gorm:"primaryKey"`
	HubID              int64  `gorm:"column:hub_id"`
	Kind               string // HubSpotKindOAuth or HubSpotKindStatic
	HubDomain          string
	UIDomain           string `gorm:"column:ui_domain"`
	TimeZone           string
	Currency           string
	AccountType        string
	UserEmail          string // who installed the app, when HubSpot says
	AccessTokenSealed  string
	RefreshTokenSealed string
	ExpiresAt          *time.Time // access-token expiry; nil for static tokens
	Scopes             string     // granted scopes, space-separated
	State              string
	StateReason        string
	LastRefreshAt      *time.Time
	LastRefreshError   string
	ConnectedAt        time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TableName keeps the table name independent of GORM's pluraliser.
func (HubSpotConnection) TableName() string { return "hubspot_connections" }

func init() {
	Register(Migration{ID: "0200_hubspot_connections", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE hubspot_connections (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				hub_id INTEGER NOT NULL,
				kind TEXT NOT NULL CHECK (kind IN ('oauth', 'static')),
				hub_domain TEXT NOT NULL DEFAULT '',
				ui_domain TEXT NOT NULL DEFAULT '',
				time_zone TEXT NOT NULL DEFAULT '',
				currency TEXT NOT NULL DEFAULT '',
				account_type TEXT NOT NULL DEFAULT '',
				user_email TEXT NOT NULL DEFAULT '',
				access_token_sealed TEXT NOT NULL DEFAULT '',
				refresh_token_sealed TEXT NOT NULL DEFAULT '',
				expires_at DATETIME,
				scopes TEXT NOT NULL DEFAULT '',
				state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'needs_reconnect', 'removed')),
				state_reason TEXT NOT NULL DEFAULT '',
				last_refresh_at DATETIME,
				last_refresh_error TEXT NOT NULL DEFAULT '',
				connected_at DATETIME NOT NULL,
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX idx_hubspot_connections_hub_id ON hubspot_connections(hub_id)`,
		)
	}})
}
