package models

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Migration is one schema step. IDs sort lexically and are recorded in
// schema_migrations once applied; a migration is never edited after it has
// landed — add a new one instead.
//
// ID ranges keep parallel work apart: 0001–0099 foundation, 0100–0199 pretix,
// 0200–0299 HubSpot, 0300–0399 mappings, 0400–0499 sync engine.
type Migration struct {
	ID string
	Up func(tx *gorm.DB) error
}

var (
	registryMu sync.Mutex
	registry   = map[string]Migration{}
)

// Register adds a migration; call it from an init function in the file that
// holds the migration.
func Register(m Migration) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[m.ID]; dup {
		panic("models: duplicate migration " + m.ID)
	}
	registry[m.ID] = m
}

type schemaMigration struct {
	ID        string `gorm:"primaryKey"`
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// Migrate applies every registered migration that is not yet recorded, in ID
// order, each in its own transaction together with its record.
func Migrate(db *gorm.DB) error {
	if err := db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	registryMu.Lock()
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	registryMu.Unlock()
	sort.Strings(ids)

	var applied []string
	if err := db.Model(&schemaMigration{}).Pluck("id", &applied).Error; err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	done := make(map[string]bool, len(applied))
	for _, id := range applied {
		done[id] = true
	}
	for _, id := range ids {
		if done[id] {
			continue
		}
		m := registry[id]
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{ID: id, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", id, err)
		}
	}
	return nil
}
