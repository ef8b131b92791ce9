package models

import (
	"time"

	"gorm.io/gorm"
)

// PretixOrder is the local copy of one pretix order: the raw API JSON plus
// the columns the UI and the sync engine filter and sort by.
type PretixOrder struct {
	ID              int64 `gorm:"primaryKey"`
	OrganizerID     int64
	EventID         int64
	EventSlug       string
	Code            string
	Status          string // n, p, e, c
	RequireApproval bool
	Testmode        bool
	Email           string
	DisplayName     string // invoice name, else the first attendee name
	Datetime        time.Time
	LastModified    time.Time
	Total           string // decimal string as pretix sends it
	PositionCount   int    // positions that are not canceled
	SearchText      string // lower-cased code, emails, names, company
	ContentsHash    string
	ContactHash     string
	RawHash         string
	RawJSON         string // as fetched with include_canceled_positions=true
	FirstSeenAt     time.Time
	UpdatedAt       time.Time
}

// TableName pins the table name.
func (PretixOrder) TableName() string { return "pretix_orders" }

func init() {
	Register(Migration{ID: "0102_pretix_orders", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`CREATE TABLE pretix_orders (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				organizer_id INTEGER NOT NULL REFERENCES pretix_organizers(id) ON DELETE CASCADE,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				event_slug TEXT NOT NULL,
				code TEXT NOT NULL,
				status TEXT NOT NULL,
				require_approval INTEGER NOT NULL DEFAULT 0,
				testmode INTEGER NOT NULL DEFAULT 0,
				email TEXT NOT NULL DEFAULT '',
				display_name TEXT NOT NULL DEFAULT '',
				datetime DATETIME NOT NULL,
				last_modified DATETIME NOT NULL,
				total TEXT NOT NULL DEFAULT '0.00',
				position_count INTEGER NOT NULL DEFAULT 0,
				search_text TEXT NOT NULL DEFAULT '',
				contents_hash TEXT NOT NULL DEFAULT '',
				contact_hash TEXT NOT NULL DEFAULT '',
				raw_hash TEXT NOT NULL DEFAULT '',
				raw_json TEXT NOT NULL,
				first_seen_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_pretix_orders_org_event_code ON pretix_orders(organizer_id, event_slug, code)`,
			// The orders list: newest first per event; status and search are
			// filtered inside the index, so a page never reads rows it skips.
			`CREATE INDEX ix_pretix_orders_event_list ON pretix_orders(event_id, datetime DESC, status, search_text)`,
			`CREATE INDEX ix_pretix_orders_event_status ON pretix_orders(event_id, status, datetime DESC)`,
			`CREATE INDEX ix_pretix_orders_org_list ON pretix_orders(organizer_id, datetime DESC, status, search_text)`,
			`CREATE INDEX ix_pretix_orders_org_modified ON pretix_orders(organizer_id, last_modified)`,
			`CREATE TABLE pretix_positions (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				pretix_id INTEGER NOT NULL,
				positionid INTEGER NOT NULL,
				item_id INTEGER,
				variation_id INTEGER,
				subevent_id INTEGER,
				attendee_name TEXT NOT NULL DEFAULT '',
				attendee_email TEXT NOT NULL DEFAULT '',
				addon_to INTEGER,
				canceled INTEGER NOT NULL DEFAULT 0,
				price TEXT NOT NULL DEFAULT '0.00'
			)`,
			`CREATE INDEX ix_pretix_positions_order ON pretix_positions(order_id, positionid)`,
			`CREATE INDEX ix_pretix_positions_email ON pretix_positions(attendee_email)`,
			`CREATE TABLE pretix_answers (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				position_pretix_id INTEGER NOT NULL,
				question_id INTEGER NOT NULL,
				question_identifier TEXT NOT NULL DEFAULT '',
				answer TEXT NOT NULL DEFAULT '',
				option_identifiers_json TEXT NOT NULL DEFAULT '[]'
			)`,
			`CREATE INDEX ix_pretix_answers_order ON pretix_answers(order_id, position_pretix_id)`,
		)
	}})
}

// Positions and answers are read from the stored order JSON (the order page,
// the sync) and searched through pretix_orders.search_text, so their own
// tables were written on every ingest and never read.
func init() {
	Register(Migration{ID: "0106_drop_pretix_positions_answers", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`DROP TABLE IF EXISTS pretix_answers`,
			`DROP TABLE IF EXISTS pretix_positions`,
		)
	}})
}
