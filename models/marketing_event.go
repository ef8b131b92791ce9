package models

import (
	"time"

	"gorm.io/gorm"
)

// Marketing event settings of an event (one row once set).
const (
	MarketingEmailAttendee  = "attendee" // the attendee's email, else the buyer's
	MarketingEmailBuyer     = "buyer"
	MarketingRegisterPlaced = "placed"
	MarketingRegisterPaid   = "paid"
)

// MarketingEventSettings says whether and how an event's orders become
// marketing event participation in HubSpot.
type MarketingEventSettings struct {
	EventID    int64 `gorm:"primaryKey"`
	Enabled    bool
	EmailFrom  string // MarketingEmailAttendee or MarketingEmailBuyer
	RegisterOn string // MarketingRegisterPlaced or MarketingRegisterPaid
	EventType  string // HubSpot's free-text event type, e.g. "Conference"
	UpdatedAt  time.Time
}

// TableName pins the table name.
func (MarketingEventSettings) TableName() string { return "marketing_event_settings" }

// MarketingEventRecord is the HubSpot marketing event of one pretix event or
// date: what was last sent (a digest of it) and HubSpot's id.
type MarketingEventRecord struct {
	ID         int64 `gorm:"primaryKey"`
	EventID    int64
	SubeventID int64 // 0 for an event without dates
	HubID      int64
	// ExternalAccountID and ExternalEventID address the event in HubSpot;
	// kept as first sent, so a pretix URL edited later names the same event.
	ExternalAccountID string
	ExternalEventID   string
	ObjectID          string
	Digest            string // of the fields last sent; a change re-sends them
	Name              string
	Cancelled         bool
	SentAt            time.Time
}

// TableName pins the table name.
func (MarketingEventRecord) TableName() string { return "marketing_event_records" }

// Participation states as sent to HubSpot.
const (
	ParticipationRegistered = "registered"
	ParticipationAttended   = "attended"
	ParticipationCancelled  = "cancelled"
)

// MarketingParticipation is the participation one order position (one
// ticket) wanted when its order was last synced. HubSpot keeps one
// participation per contact, so a contact's state follows all its tickets.
type MarketingParticipation struct {
	ID              int64 `gorm:"primaryKey"`
	OrderID         int64
	PositionID      int64
	EventID         int64
	ExternalEventID string
	HubID           int64
	Email           string
	State           string
	SentAt          time.Time
}

// TableName pins the table name.
func (MarketingParticipation) TableName() string { return "marketing_participations" }

// MarketingContact is the participation state HubSpot holds for one contact
// in one marketing event, as last sent, so each change is sent once.
type MarketingContact struct {
	ID              int64 `gorm:"primaryKey"`
	EventID         int64
	HubID           int64
	ExternalEventID string
	Email           string
	ContactID       string
	State           string
	JoinedAt        *time.Time
	SentAt          time.Time
}

// TableName pins the table name.
func (MarketingContact) TableName() string { return "marketing_contacts" }

func init() {
	Register(Migration{ID: "0701_marketing_events", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE marketing_event_settings (
				event_id INTEGER PRIMARY KEY REFERENCES pretix_events(id) ON DELETE CASCADE,
				enabled INTEGER NOT NULL DEFAULT 0,
				email_from TEXT NOT NULL DEFAULT 'attendee',
				register_on TEXT NOT NULL DEFAULT 'placed',
				event_type TEXT NOT NULL DEFAULT '',
				updated_at DATETIME NOT NULL
			)`,
			`CREATE TABLE marketing_event_records (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				subevent_id INTEGER NOT NULL DEFAULT 0,
				hub_id INTEGER NOT NULL,
				external_account_id TEXT NOT NULL,
				external_event_id TEXT NOT NULL,
				object_id TEXT NOT NULL DEFAULT '',
				digest TEXT NOT NULL DEFAULT '',
				name TEXT NOT NULL DEFAULT '',
				cancelled INTEGER NOT NULL DEFAULT 0,
				sent_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_marketing_event_records ON marketing_event_records(event_id, subevent_id, hub_id)`,
			`CREATE TABLE marketing_participations (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				position_id INTEGER NOT NULL,
				event_id INTEGER NOT NULL,
				external_event_id TEXT NOT NULL,
				hub_id INTEGER NOT NULL,
				email TEXT NOT NULL DEFAULT '',
				state TEXT NOT NULL,
				sent_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_marketing_participations ON marketing_participations(order_id, position_id, hub_id)`,
			// A contact's other tickets, when one of them changes.
			`CREATE INDEX ix_marketing_participations_contact ON marketing_participations(hub_id, external_event_id, email)`,
			`CREATE TABLE marketing_contacts (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				hub_id INTEGER NOT NULL,
				external_event_id TEXT NOT NULL,
				email TEXT NOT NULL,
				contact_id TEXT NOT NULL DEFAULT '',
				state TEXT NOT NULL,
				joined_at DATETIME,
				sent_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_marketing_contacts ON marketing_contacts(hub_id, external_event_id, email)`,
		)
	}})
}
