package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// Store keeps connections and app credentials; it is the only code that
// seals and opens HubSpot tokens.
type Store struct {
	db    *gorm.DB
	box   *secret.Box
	clock clockwork.Clock
}

// NewStore returns a Store.
func NewStore(db *gorm.DB, box *secret.Box, clock clockwork.Clock) *Store {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Store{db: db, box: box, clock: clock}
}

// Connection is a connected portal as the rest of the app sees it: no tokens.
type Connection struct {
	ID               uint       `json:"id"`
	HubID            int64      `json:"hub_id"`
	Kind             string     `json:"kind"` // models.HubSpotKindOAuth or models.HubSpotKindStatic
	HubDomain        string     `json:"hub_domain"`
	UIDomain         string     `json:"ui_domain"`
	TimeZone         string     `json:"time_zone"`
	Currency         string     `json:"currency"`
	AccountType      string     `json:"account_type"`
	UserEmail        string     `json:"user_email"`
	Scopes           []string   `json:"scopes"`
	MissingScopes    []string   `json:"missing_scopes"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	State            string     `json:"state"` // models.HubSpotState*
	StateReason      string     `json:"state_reason"`
	LastRefreshAt    *time.Time `json:"last_refresh_at,omitempty"`
	LastRefreshError string     `json:"last_refresh_error"`
	ConnectedAt      time.Time  `json:"connected_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	// RecordBase, when set, is where record links point instead of the
	// portal's HubSpot UI: the configured app base of a HubSpot emulator
	// (operator configuration, never the portal's own data).
	RecordBase string `json:"-"`
}

// RecordURL links to a record of this portal.
func (c *Connection) RecordURL(ot ObjectType, recordID string) string {
	if c.RecordBase != "" {
		return strings.TrimRight(c.RecordBase, "/") + "/contacts/" + strconv.FormatInt(c.HubID, 10) + "/record/" + ot.TypeID() + "/" + url.PathEscape(recordID)
	}
	return RecordURL(c.UIDomain, c.HubID, ot, recordID)
}

// CanCreateProperties reports whether the grant includes the schema write
// scope for ot (an optional scope).
func (c *Connection) CanCreateProperties(ot ObjectType) bool {
	for _, s := range c.Scopes {
		if s == "crm.schemas."+string(ot)+".write" {
			return true
		}
	}
	return false
}

// Location returns the portal's time zone (UTC when unknown).
func (c *Connection) Location() *time.Location {
	if loc, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		return loc
	}
	return time.UTC
}

func toConnection(m *models.HubSpotConnection) *Connection {
	scopes := strings.Fields(m.Scopes)
	return &Connection{
		ID: m.ID, HubID: m.HubID, Kind: m.Kind, HubDomain: m.HubDomain, UIDomain: m.UIDomain, TimeZone: m.TimeZone,
		Currency: m.Currency, AccountType: m.AccountType, UserEmail: m.UserEmail, Scopes: scopes,
		MissingScopes: MissingScopes(scopes, m.Kind == models.HubSpotKindStatic),
		ExpiresAt:     m.ExpiresAt, State: m.State, StateReason: m.StateReason, LastRefreshAt: m.LastRefreshAt,
		LastRefreshError: m.LastRefreshError, ConnectedAt: m.ConnectedAt, UpdatedAt: m.UpdatedAt,
	}
}

func notConnected(hubID int64) *apperr.Error {
	return apperr.NotFound("hubspot_not_connected",
		fmt.Sprintf("HubSpot account %d is not connected. Open the event's HubSpot settings and click Request access.", hubID))
}

func (s *Store) row(ctx context.Context, hubID int64) (*models.HubSpotConnection, error) {
	var m models.HubSpotConnection
	err := s.db.WithContext(ctx).Where("hub_id = ?", hubID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notConnected(hubID)
	}
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("load hubspot connection %d: %w", hubID, err))
	}
	return &m, nil
}

// Connection returns one portal's connection (any state).
func (s *Store) Connection(ctx context.Context, hubID int64) (*Connection, error) {
	m, err := s.row(ctx, hubID)
	if err != nil {
		return nil, err
	}
	return toConnection(m), nil
}

// Connections lists all connections, removed ones included, by hub id.
func (s *Store) Connections(ctx context.Context) ([]Connection, error) {
	var rows []models.HubSpotConnection
	if err := s.db.WithContext(ctx).Order("hub_id").Find(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]Connection, 0, len(rows))
	for i := range rows {
		out = append(out, *toConnection(&rows[i]))
	}
	return out, nil
}

// credentials is a connection with its tokens opened; it never leaves the package.
type credentials struct {
	hubID     int64
	kind      string
	state     string
	reason    string
	access    string
	refresh   string
	expiresAt time.Time
	timeZone  string
}

func errTokensUnreadable() *apperr.Error {
	return apperr.New(apperr.KindConflict, "hubspot_tokens_unreadable",
		"The stored HubSpot tokens cannot be decrypted (the encryption key was replaced). Connect the HubSpot account again.")
}

func (s *Store) credentials(ctx context.Context, hubID int64) (*credentials, error) {
	m, err := s.row(ctx, hubID)
	if err != nil {
		return nil, err
	}
	access, err := s.box.Open(m.AccessTokenSealed)
	if err != nil {
		return nil, errTokensUnreadable().Wrap(fmt.Errorf("open hubspot access token of %d: %w", hubID, err))
	}
	refresh, err := s.box.Open(m.RefreshTokenSealed)
	if err != nil {
		return nil, errTokensUnreadable().Wrap(fmt.Errorf("open hubspot refresh token of %d: %w", hubID, err))
	}
	c := &credentials{hubID: hubID, kind: m.Kind, state: m.State, reason: m.StateReason, access: access, refresh: refresh, timeZone: m.TimeZone}
	if m.ExpiresAt != nil {
		c.expiresAt = *m.ExpiresAt
	}
	return c, nil
}

// newConnection is what a successful connect stores.
type newConnection struct {
	hubID                            int64
	kind                             string
	hubDomain, uiDomain, timeZone    string
	currency, accountType, userEmail string
	access, refresh                  string
	expiresAt                        time.Time
	scopes                           []string
}

// save creates or replaces the portal's connection and makes it active.
func (s *Store) save(ctx context.Context, n newConnection) (*Connection, error) {
	access, err := s.box.Seal(n.access)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	refresh, err := s.box.Seal(n.refresh)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	now := s.clock.Now().UTC()
	var exp *time.Time
	if !n.expiresAt.IsZero() {
		t := n.expiresAt.UTC()
		exp = &t
	}
	var out models.HubSpotConnection
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m models.HubSpotConnection
		err := tx.Where("hub_id = ?", n.hubID).Take(&m).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if errors.Is(err, gorm.ErrRecordNotFound) {
			m = models.HubSpotConnection{HubID: n.hubID, CreatedAt: now}
		}
		m.Kind, m.HubDomain, m.UIDomain, m.TimeZone = n.kind, n.hubDomain, n.uiDomain, n.timeZone
		m.Currency, m.AccountType, m.UserEmail = n.currency, n.accountType, n.userEmail
		m.AccessTokenSealed, m.RefreshTokenSealed, m.ExpiresAt = access, refresh, exp
		m.Scopes = strings.Join(n.scopes, " ")
		m.State, m.StateReason, m.LastRefreshError = models.HubSpotStateActive, "", ""
		m.LastRefreshAt = nil
		m.ConnectedAt, m.UpdatedAt = now, now
		if err := tx.Save(&m).Error; err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("save hubspot connection %d: %w", n.hubID, err))
	}
	return toConnection(&out), nil
}

// saveRefreshed stores a refreshed token pair.
func (s *Store) saveRefreshed(ctx context.Context, hubID int64, g *TokenGrant) error {
	access, err := s.box.Seal(g.AccessToken.Reveal())
	if err != nil {
		return err
	}
	updates := map[string]any{"access_token_sealed": access, "expires_at": g.ExpiresAt.UTC(),
		"last_refresh_at": s.clock.Now().UTC(), "last_refresh_error": "", "updated_at": s.clock.Now().UTC()}
	if g.RefreshToken != "" {
		refresh, err := s.box.Seal(g.RefreshToken.Reveal())
		if err != nil {
			return err
		}
		updates["refresh_token_sealed"] = refresh
	}
	return s.db.WithContext(ctx).Model(&models.HubSpotConnection{}).Where("hub_id = ? AND state = ?", hubID, models.HubSpotStateActive).Updates(updates).Error
}

func (s *Store) recordRefreshError(ctx context.Context, hubID int64, msg string) error {
	return s.db.WithContext(ctx).Model(&models.HubSpotConnection{}).Where("hub_id = ?", hubID).
		Updates(map[string]any{"last_refresh_error": msg, "updated_at": s.clock.Now().UTC()}).Error
}

// markNeedsReconnect parks an active connection; the reason is shown to people.
func (s *Store) markNeedsReconnect(ctx context.Context, hubID int64, reason string) error {
	return s.db.WithContext(ctx).Model(&models.HubSpotConnection{}).Where("hub_id = ? AND state = ?", hubID, models.HubSpotStateActive).
		Updates(map[string]any{"state": models.HubSpotStateNeedsReconnect, "state_reason": reason, "updated_at": s.clock.Now().UTC()}).Error
}

// markRemoved wipes the tokens of a disconnected portal.
func (s *Store) markRemoved(ctx context.Context, hubID int64, reason string) error {
	return s.db.WithContext(ctx).Model(&models.HubSpotConnection{}).Where("hub_id = ?", hubID).
		Updates(map[string]any{"state": models.HubSpotStateRemoved, "state_reason": reason,
			"access_token_sealed": "", "refresh_token_sealed": "", "expires_at": nil, "updated_at": s.clock.Now().UTC()}).Error
}

// expiringOAuth lists active OAuth portals whose access token expires before t.
func (s *Store) expiringOAuth(ctx context.Context, t time.Time) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&models.HubSpotConnection{}).
		Where("kind = ? AND state = ? AND (expires_at IS NULL OR expires_at < ?)", models.HubSpotKindOAuth, models.HubSpotStateActive, t.UTC()).
		Order("hub_id").Pluck("hub_id", &ids).Error
	return ids, err
}

// AppCredentials returns the stored OAuth client id and secret ("" if unset).
func (s *Store) AppCredentials(ctx context.Context) (clientID, clientSecret string, err error) {
	var m models.HubSpotAppSettings
	err = s.db.WithContext(ctx).Where("id = 1").Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", apperr.Internal(err)
	}
	sec, err := s.box.Open(m.ClientSecretSealed)
	if err != nil {
		return "", "", apperr.New(apperr.KindConflict, "hubspot_app_secret_unreadable",
			"The stored client secret of the HubSpot app cannot be decrypted (the encryption key was replaced). Enter it again under Settings → HubSpot app.").Wrap(err)
	}
	return m.ClientID, sec, nil
}

// SaveAppCredentials stores the OAuth client id and secret; an empty secret
// keeps the stored one (forms never show it again).
func (s *Store) SaveAppCredentials(ctx context.Context, clientID, clientSecret string) error {
	clientID = strings.TrimSpace(clientID)
	if clientID == "" {
		return apperr.Invalid("hubspot_client_id_missing", "Enter the client ID of your HubSpot app (HubSpot → Development → your app → Auth).").
			WithField("client_id", "Required.")
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m models.HubSpotAppSettings
		err := tx.Where("id = 1").Take(&m).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.Internal(err)
		}
		m.ID, m.ClientID, m.UpdatedAt = 1, clientID, s.clock.Now().UTC()
		if clientSecret != "" {
			sealed, err := s.box.Seal(strings.TrimSpace(clientSecret))
			if err != nil {
				return apperr.Internal(err)
			}
			m.ClientSecretSealed = sealed
		}
		if m.ClientSecretSealed == "" {
			return apperr.Invalid("hubspot_client_secret_missing", "Enter the client secret of your HubSpot app.").
				WithField("client_secret", "Required.")
		}
		if err := tx.Save(&m).Error; err != nil {
			return apperr.Internal(err)
		}
		return nil
	})
}
