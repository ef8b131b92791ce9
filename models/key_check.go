package models

import "gorm.io/gorm"

// KeyCheck holds a value sealed with the data directory's encryption key
// (one row, ID 1). Opening it at start tells a wrong key from the right one
// before any page fails on a token it cannot decrypt.
type KeyCheck struct {
	ID     uint `gorm:"primaryKey"`
	Sealed string
}

// TableName keeps the table name independent of GORM's pluraliser.
func (KeyCheck) TableName() string { return "key_check" }

func init() {
	Register(Migration{ID: "0501_key_check", Up: func(tx *gorm.DB) error {
		return execAll(tx, `CREATE TABLE key_check (id INTEGER PRIMARY KEY CHECK (id = 1), sealed TEXT NOT NULL)`)
	}})
}
