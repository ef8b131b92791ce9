// Package mapping is the mapping service: the object mappings of an event
// (pretix Order / Order position → HubSpot contacts, companies, deals) and
// their ordered property rows, validated against the event's pretix field
// catalogue and the connected portal's property definitions.
//
// A mapping is edited as one table: row 0 is the identifier (stored as the
// object mapping's IDField/IDProperty, mode "identifier"), rows 1… are the
// property mappings. Saving replaces the whole table. Impossible rows are
// refused with apperr field errors keyed "rows.<i>.<column>" so the editor
// shows the reason next to the row; risky rows are saved and carry a
// warning (the editor's ⚠).
//
// The service also offers the suggested mapping of the pretix guide, value
// map pre-filling, JSON export/import (copy from another event) and a
// preview of what one order would send.
package mapping
