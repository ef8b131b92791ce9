package models

import "gorm.io/gorm"

func init() {
	// The list indexes of 0102 ended in the implicit rowid ascending, so
	// "newest first, then id descending" needed a sort, and a list filtered
	// by organizer and event read the table. These end in id DESC and carry
	// the filter columns, so a page, a count, a status filter or a search
	// read only the index.
	Register(Migration{ID: "0105_pretix_orders_list_indexes", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`DROP INDEX ix_pretix_orders_event_list`,
			`DROP INDEX ix_pretix_orders_event_status`,
			`DROP INDEX ix_pretix_orders_org_list`,
			`CREATE INDEX ix_pretix_orders_event_list ON pretix_orders(event_id, datetime DESC, id DESC, status, search_text)`,
			`CREATE INDEX ix_pretix_orders_event_status ON pretix_orders(event_id, status, datetime DESC, id DESC)`,
			`CREATE INDEX ix_pretix_orders_org_list ON pretix_orders(organizer_id, datetime DESC, id DESC, status, search_text)`,
		)
	}})
}
