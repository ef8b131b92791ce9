package models

import (
	"time"

	"gorm.io/gorm"
)

// Source object types of a mapping.
const (
	SourceOrder    = "Order"
	SourcePosition = "OrderPosition"
)

// Property mapping modes.
const (
	ModeOverwrite = "overwrite"
	ModeIfNew     = "if_new"
	ModeIfEmpty   = "if_empty"
	ModeAppend    = "append"
)

// ObjectMapping maps a pretix object type of one event onto an external
// object type, identified by one pretix field written to a unique property.
type ObjectMapping struct {
	ID         int64 `gorm:"primaryKey"`
	EventID    int64
	Provider   string // "hubspot"
	Position   int    // order of processing; associations point to earlier ones
	SourceType string // SourceOrder or SourcePosition
	TargetType string // provider object type, e.g. "contacts", "companies", "deals"
	IDField    string // pretix field key of the identifier
	IDProperty string // unique external property receiving it
	// AssociateWithJSON is a JSON array of the IDs of earlier mappings whose
	// objects this mapping's objects are associated with.
	AssociateWithJSON string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName pins the table name.
func (ObjectMapping) TableName() string { return "object_mappings" }

// PropertyMapping writes one pretix field into one external property.
type PropertyMapping struct {
	ID              int64 `gorm:"primaryKey"`
	ObjectMappingID int64
	Position        int
	PretixField     string
	Property        string
	Mode            string // ModeOverwrite, ModeIfNew, ModeIfEmpty, ModeAppend
	// ValueMapJSON maps pretix option values to external option values,
	// e.g. {"VEG":"vegetarian"}; "{}" when unused.
	ValueMapJSON string
}

// TableName pins the table name.
func (PropertyMapping) TableName() string { return "property_mappings" }

func init() {
	Register(Migration{ID: "0300_mappings", Up: func(tx *gorm.DB) error {
		return execAll(tx,
			`CREATE TABLE object_mappings (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id INTEGER NOT NULL REFERENCES pretix_events(id) ON DELETE CASCADE,
				provider TEXT NOT NULL,
				position INTEGER NOT NULL,
				source_type TEXT NOT NULL,
				target_type TEXT NOT NULL,
				id_field TEXT NOT NULL,
				id_property TEXT NOT NULL,
				associate_with_json TEXT NOT NULL DEFAULT '[]',
				created_at DATETIME NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE INDEX ix_object_mappings_event ON object_mappings(event_id, provider, position)`,
			`CREATE TABLE property_mappings (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				object_mapping_id INTEGER NOT NULL REFERENCES object_mappings(id) ON DELETE CASCADE,
				position INTEGER NOT NULL,
				pretix_field TEXT NOT NULL,
				property TEXT NOT NULL,
				mode TEXT NOT NULL,
				value_map_json TEXT NOT NULL DEFAULT '{}'
			)`,
			`CREATE INDEX ix_property_mappings_object ON property_mappings(object_mapping_id, position)`,
		)
	}})
}
