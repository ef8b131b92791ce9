// Package keycheck tells, at start, whether the encryption key opens what
// the database holds, and erases what it cannot open when the operator says
// the old key is lost.
package keycheck

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

const checkPlain = "pretix-hubspot key check v1"

// ErrWrongKey means the key cannot open what the database holds.
var ErrWrongKey = errors.New("the encryption key does not match this data directory")

// sealedColumns are every column that holds Box ciphertext.
var sealedColumns = []struct{ table, column string }{
	{"pretix_organizers", "token_sealed"},
	{"pretix_organizers", "webhook_secret_sealed"},
	{"hubspot_connections", "access_token_sealed"},
	{"hubspot_connections", "refresh_token_sealed"},
	{"hubspot_app_settings", "client_secret_sealed"},
}

// Verify checks that box opens the database's check value; a database
// without one (new, or from before the check existed) gets one, after a
// stored token, if there is any, has shown that the key is right.
func Verify(db *gorm.DB, box *secret.Box) error {
	var kc models.KeyCheck
	err := db.Where("id = 1").Take(&kc).Error
	if err == nil {
		if p, oerr := box.Open(kc.Sealed); oerr != nil || p != checkPlain {
			return ErrWrongKey
		}
		return nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("read the key check: %w", err)
	}
	for _, c := range sealedColumns {
		var vs []string
		if err := db.Table(c.table).Where(c.column+" <> ''").Limit(1).Pluck(c.column, &vs).Error; err != nil {
			return fmt.Errorf("read %s: %w", c.table, err)
		}
		if len(vs) == 0 {
			continue
		}
		if _, err := box.Open(vs[0]); err != nil {
			return ErrWrongKey
		}
		break
	}
	return writeCheck(db, box)
}

func writeCheck(db *gorm.DB, box *secret.Box) error {
	sealed, err := box.Seal(checkPlain)
	if err != nil {
		return err
	}
	return db.Clauses(clause.OnConflict{UpdateAll: true}).Create(&models.KeyCheck{ID: 1, Sealed: sealed}).Error
}

// Forgotten counts what Forget erased.
type Forgotten struct {
	PretixTokens, HubSpotConnections, AppSecrets, WebhookSecrets int
}

// Forget erases every stored secret box cannot open — the pretix tokens,
// HubSpot tokens (their connections then need reconnecting) and the HubSpot
// app's client secret — and records box's check value, so that an
// installation whose key is lost starts again with everything else intact.
// Unreadable webhook secrets stay: incoming webhooks are checked against
// their hash, which still works; the organizer page offers a new URL.
func Forget(db *gorm.DB, box *secret.Box) (Forgotten, error) {
	var f Forgotten
	err := db.Transaction(func(tx *gorm.DB) error {
		unreadable := func(v string) bool { _, err := box.Open(v); return err != nil }
		var orgs []models.PretixOrganizer
		if err := tx.Find(&orgs).Error; err != nil {
			return err
		}
		for _, o := range orgs {
			if unreadable(o.TokenSealed) {
				if err := tx.Model(&models.PretixOrganizer{}).Where("id = ?", o.ID).Update("token_sealed", "").Error; err != nil {
					return err
				}
				f.PretixTokens++
			}
			if unreadable(o.WebhookSecretSealed) {
				f.WebhookSecrets++
			}
		}
		var conns []models.HubSpotConnection
		if err := tx.Find(&conns).Error; err != nil {
			return err
		}
		for _, c := range conns {
			if unreadable(c.AccessTokenSealed) || unreadable(c.RefreshTokenSealed) {
				if err := tx.Model(&models.HubSpotConnection{}).Where("id = ?", c.ID).Updates(map[string]any{
					"access_token_sealed": "", "refresh_token_sealed": "", "state": models.HubSpotStateNeedsReconnect,
					"state_reason": "The stored tokens could not be decrypted after the encryption key was replaced. Connect the account again.",
				}).Error; err != nil {
					return err
				}
				f.HubSpotConnections++
			}
		}
		var apps []models.HubSpotAppSettings
		if err := tx.Find(&apps).Error; err != nil {
			return err
		}
		for _, a := range apps {
			if unreadable(a.ClientSecretSealed) {
				if err := tx.Model(&models.HubSpotAppSettings{}).Where("id = ?", a.ID).Update("client_secret_sealed", "").Error; err != nil {
					return err
				}
				f.AppSecrets++
			}
		}
		return writeCheck(tx, box)
	})
	return f, err
}
