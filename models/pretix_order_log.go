package models

import (
	"time"

	"gorm.io/gorm"
)

// OrderLog is one entry of an order's history: pretix imports and changes
// (written by package pretix) and data transfers, errors and manual actions
// (written by the sync engine).
type OrderLog struct {
	ID       int64 `gorm:"primaryKey"`
	OrderID  int64
	Time     time.Time
	Kind     string // see the OrderLogKind* constants; other packages may add their own
	Message  string // shown to people as is
	DataJSON string // structured details, "{}" when there are none
}

// TableName pins the table name.
func (OrderLog) TableName() string { return "order_log" }

// Order log kinds written by the pretix side.
const (
	OrderLogKindImported = "pretix.imported"
	OrderLogKindChanged  = "pretix.changed"
)

func init() {
	Register(Migration{ID: "0103_order_log", Up: func(tx *gorm.DB) error {
		return pretixExec(tx,
			`CREATE TABLE order_log (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				order_id INTEGER NOT NULL REFERENCES pretix_orders(id) ON DELETE CASCADE,
				time DATETIME NOT NULL,
				kind TEXT NOT NULL,
				message TEXT NOT NULL DEFAULT '',
				data_json TEXT NOT NULL DEFAULT '{}'
			)`,
			`CREATE INDEX ix_order_log_order_time ON order_log(order_id, time)`,
		)
	}})
}
