package mapping

import (
	"fmt"
	"slices"
	"strings"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// ModeIdentifier is the fixed mode of row 0, the identifier.
const ModeIdentifier = "identifier"

// modeLabels are the editor's texts of the modes (pretix's wording).
var modeLabels = map[string]string{
	ModeIdentifier:       "Identifier",
	models.ModeOverwrite: "Overwrite",
	models.ModeIfNew:     "Fill if new",
	models.ModeIfEmpty:   "Fill if empty",
	models.ModeAppend:    "Add to list",
}

// ModeLabel is the editor's name of a mode, e.g. "Fill if empty".
func ModeLabel(mode string) string {
	if l, ok := modeLabels[mode]; ok {
		return l
	}
	return mode
}

// Mapping is one object mapping as the editor shows it.
type Mapping struct {
	ID          int64  `json:"id"`
	Position    int    `json:"position"`
	SourceType  string `json:"source_type"`
	SourceLabel string `json:"source_label"`
	TargetType  string `json:"target_type"`
	TargetLabel string `json:"target_label"`
	// IDField / IDProperty repeat row 0 for the mappings table.
	IDField         string  `json:"id_field"`
	IDFieldLabel    string  `json:"id_field_label"`
	IDProperty      string  `json:"id_property"`
	IDPropertyLabel string  `json:"id_property_label"`
	AssociateWith   []int64 `json:"associate_with"`
	// Rows: row 0 is the identifier (mode "identifier"), then the property
	// mappings in processing order.
	Rows []Row `json:"rows"`
	// Errors are problems that would refuse a save, keyed like the save's
	// field errors ("rows.3.property"); they appear when the catalogue or
	// the portal changed after saving (a deleted question or property).
	Errors map[string]string `json:"errors"`
	// AffectedOrders, after a save that changed what would be sent, counts
	// the orders already synced that keep the old values until they are
	// synced again (the editor offers to re-sync them).
	AffectedOrders int `json:"affected_orders,omitempty"`
	// SchemaError says why the HubSpot side could not be checked (not
	// connected, HubSpot unreachable); rows then carry no warnings.
	SchemaError string `json:"schema_error,omitempty"`
}

// Row is one line of the properties table.
type Row struct {
	PretixField string            `json:"pretix_field"`
	Property    string            `json:"property"`
	Mode        string            `json:"mode"`
	ValueMap    map[string]string `json:"value_map"`
	// Warning is the ⚠'s text: why the types may not fit (the row may not
	// work as intended).
	Warning string `json:"warning,omitempty"`
	// Hint is the ⓘ's text: advice about a row that works, e.g. that
	// Overwrite clears HubSpot fields the orders often leave empty. It is
	// not counted as a warning.
	Hint string `json:"hint,omitempty"`
}

// RowInput is a row as the editor sends it.
type RowInput struct {
	PretixField string            `json:"pretix_field"`
	Property    string            `json:"property"`
	Mode        string            `json:"mode"`
	ValueMap    map[string]string `json:"value_map"`
}

// CreateInput is the "Add mapping" form.
type CreateInput struct {
	SourceType string `json:"source_type"`
	TargetType string `json:"target_type"`
}

// UpdateInput is the whole "Edit mapping" form: the pretix object type, the
// table (row 0 the identifier) and the associations.
type UpdateInput struct {
	SourceType    string     `json:"source_type"`
	Rows          []RowInput `json:"rows"`
	AssociateWith []int64    `json:"associate_with"`
}

func parseSource(s, field string) (fields.ObjectType, error) {
	o := fields.ObjectType(s)
	if !o.Valid() {
		return "", apperr.Invalid("source_type_invalid", "Choose the pretix object type: Order or Order position.").
			WithField(field, "Choose Order or Order position.")
	}
	return o, nil
}

func parseTarget(s, field string) (hubspot.ObjectType, error) {
	ot := hubspot.ObjectType(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(hubspotsync.MappingTargets, ot) {
		return "", apperr.Invalid("target_type_invalid", fmt.Sprintf("%q is not a HubSpot object type this app writes; choose Contacts, Companies, Deals or Line items.", s)).
			WithField(field, "Choose Contacts, Companies, Deals or Line items.")
	}
	return ot, nil
}

// checkSource applies hubspotsync.SourceRule as a field error.
func checkSource(src fields.ObjectType, tgt hubspot.ObjectType, field string) error {
	if msg := hubspotsync.SourceRule(string(src), tgt); msg != "" {
		return apperr.Invalid("source_type_invalid", msg).WithField(field, msg)
	}
	return nil
}

func rowKey(i int, col string) string { return fmt.Sprintf("rows.%d.%s", i, col) }
