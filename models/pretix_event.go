package models

import (
	"time"

	"gorm.io/gorm"
)

// PretixEvent is a pretix event of a connected organizer together with the
// catalogue the field picker is built from. The *JSON columns hold the pretix
// API's own JSON (arrays of result objects, or the settings object), so
// consumers decode the shapes documented for the pretix API.
type PretixEvent struct {
	ID           int64 `gorm:"primaryKey"`
	OrganizerID  int64
	Slug         string
	NameJSON     string // multilingual name, e.g. {"en":"DevCon","de":"DevCon"}
	DateFrom     *time.Time
	DateTo       *time.Time
	Currency     string
	Timezone     string
	HasSubevents bool
	Live         bool
	Testmode     bool
	EventJSON    string // the event object as pretix returned it
	// Catalogue, refreshed by the puller.
	ItemsJSON        string
	CategoriesJSON   string
	QuestionsJSON    string
	CheckinListsJSON string
	SubeventsJSON    string
	SettingsJSON     string // the event settings object; "{}" when the token may not read it
	NameScheme       string // e.g. "given_family"
	LocalesJSON      string // e.g. ["en","de"]
	// SettingsSource says where NameScheme and LocalesJSON came from: "api"
	// (event settings) or "inferred" (from orders and multilingual texts,
	// because the token lacks "Can change event settings").
	SettingsSource string
	SeenNameScheme string // the _scheme most recently seen in this event's orders
	// PullCursor is used only when the server lacks the organizer-wide order
	// list and events are pulled one by one.
	PullCursor     *time.Time
	InPretix       bool // false once pretix stops listing the event (deleted or no permission)
	RefreshedAt    *time.Time
	CatalogueError string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName pins the table name.
func (PretixEvent) TableName() string { return "pretix_events" }

func init() {
	Register(Migration{ID: "0101_pretix_events", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`CREATE TABLE pretix_events (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				organizer_id INTEGER NOT NULL REFERENCES pretix_organizers(id) ON DELETE CASCADE,
				slug TEXT NOT NULL,
				name_json TEXT NOT NULL DEFAULT '{}',
				date_from DATETIME,
				date_to DATETIME,
				currency TEXT NOT NULL DEFAULT '',
				timezone TEXT NOT NULL DEFAULT '',
				has_subevents INTEGER NOT NULL DEFAULT 0,
				live INTEGER NOT NULL DEFAULT 0,
				testmode INTEGER NOT NULL DEFAULT 0,
				event_json TEXT NOT NULL DEFAULT '{}',
				items_json TEXT NOT NULL DEFAULT '[]',
				categories_json TEXT NOT NULL DEFAULT '[]',
				questions_json TEXT NOT NULL DEFAULT '[]',
				checkin_lists_json TEXT NOT NULL DEFAULT '[]',
				subevents_json TEXT NOT NULL DEFAULT '[]',
				settings_json TEXT NOT NULL DEFAULT '{}',
				name_scheme TEXT NOT NULL DEFAULT '',
				locales_json TEXT NOT NULL DEFAULT '[]',
				settings_source TEXT NOT NULL DEFAULT '',
				seen_name_scheme TEXT NOT NULL DEFAULT '',
				pull_cursor DATETIME,
				in_pretix INTEGER NOT NULL DEFAULT 1,
				refreshed_at DATETIME,
				catalogue_error TEXT NOT NULL DEFAULT '',
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE UNIQUE INDEX ux_pretix_events_org_slug ON pretix_events(organizer_id, slug)`,
		)
	}})
}

// Location is the event's time zone (UTC when pretix named none or one this
// machine does not know): event data is shown in it.
func (e *PretixEvent) Location() *time.Location {
	if e.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(e.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
