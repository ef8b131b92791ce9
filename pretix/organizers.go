package pretix

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
)

// ConnectInput is what a person enters to connect a pretix organizer.
type ConnectInput struct {
	BaseURL string `json:"base_url"`
	Slug    string `json:"slug"` // optional: the token's only organizer is used when empty
	Token   string `json:"token"`
	// WebhookUser and WebhookPassword switch on HTTP Basic auth for the
	// webhook (put them into the webhook URL in pretix). Both or neither.
	WebhookUser     string `json:"webhook_user"`
	WebhookPassword string `json:"webhook_password"`
}

// UpdateInput changes a connection; empty fields keep the stored values.
type UpdateInput struct {
	BaseURL string `json:"base_url"`
	Token   string `json:"token"` // empty keeps the stored token
	// WebhookUser nil keeps Basic auth as is; "" switches it off; a name
	// switches it on (with WebhookPassword, which may be empty only when the
	// name is unchanged).
	WebhookUser         *string `json:"webhook_user"`
	WebhookPassword     string  `json:"webhook_password"`
	RotateWebhookSecret bool    `json:"rotate_webhook_secret"`
}

// OrganizerView is a connected organizer as the UI sees it. It never contains
// the API token.
type OrganizerView struct {
	ID          int64  `json:"id"`
	BaseURL     string `json:"base_url"` // e.g. https://pretix.eu/ (without api/v1/)
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	TokenSet    bool   `json:"token_set"`
	WebhookPath string `json:"webhook_path"` // /webhooks/pretix/<secret>, to append to this app's public address
	// WebhookURLLost: the stored secret cannot be decrypted (the key was
	// replaced), so the address cannot be shown; pretix's webhook still
	// works (it is checked against a hash) until a new address is made.
	WebhookURLLost bool       `json:"webhook_url_lost"`
	WebhookUser    string     `json:"webhook_user"`
	WebhookAuth    bool       `json:"webhook_auth"`
	Events         int        `json:"events"`
	Orders         int        `json:"orders"`
	Pull           PullStatus `json:"pull"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// PullStatus is the outcome of an organizer's latest pull.
type PullStatus struct {
	State         string     `json:"state"` // "" (never), "running", "ok", "error"
	Running       bool       `json:"running"`
	Error         string     `json:"error,omitempty"`
	ErrorCode     string     `json:"error_code,omitempty"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	Orders        int        `json:"orders"`
	Cursor        *time.Time `json:"cursor,omitempty"`
	Mode          string     `json:"mode,omitempty"`
}

// WebhookPathPrefix is where the HTTP layer mounts the webhook.
const WebhookPathPrefix = "/webhooks/pretix/"

func (s *Service) view(ctx context.Context, o *models.PretixOrganizer) (*OrganizerView, error) {
	v := &OrganizerView{
		ID: o.ID, BaseURL: strings.TrimSuffix(o.BaseURL, "api/v1/"), Slug: o.Slug, Name: o.Name, TokenSet: o.TokenSealed != "",
		WebhookUser: o.WebhookUser, WebhookAuth: o.WebhookPasswordHash != "",
		Pull: PullStatus{State: o.LastPullStatus, Error: o.LastPullError, ErrorCode: o.LastPullErrorCode, StartedAt: o.LastPullStartedAt,
			FinishedAt: o.LastPullFinishedAt, LastSuccessAt: o.LastPullSuccessAt, Orders: o.LastPullOrders, Cursor: o.PullCursor, Mode: o.OrdersEndpoint},
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	s.mu.Lock()
	v.Pull.Running = s.runs[o.ID] != nil
	s.mu.Unlock()
	if sec, err := s.box.Open(o.WebhookSecretSealed); err != nil {
		v.WebhookURLLost = true
	} else {
		v.WebhookPath = WebhookPathPrefix + sec
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.PretixEvent{}).Where("organizer_id = ? AND in_pretix", o.ID).Count(&n).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	v.Events = int(n)
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("organizer_id = ?", o.ID).Count(&n).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	v.Orders = int(n)
	return v, nil
}

// TestConnection checks the input without saving anything. With
// organizerID > 0 an empty token means the stored one.
func (s *Service) TestConnection(ctx context.Context, in ConnectInput, organizerID int64) (*pretixapi.ConnectionInfo, error) {
	if in.Token == "" && organizerID > 0 {
		org, err := s.load(ctx, organizerID)
		if err != nil {
			return nil, err
		}
		if in.Token, err = s.box.Open(org.TokenSealed); err != nil || in.Token == "" {
			return nil, apperr.Invalid("pretix_token_unreadable",
				"No readable API token is stored for this organizer (the encryption key was replaced). Enter the token again.").WithField("token", "Enter the token again.")
		}
		if in.BaseURL == "" {
			in.BaseURL = org.BaseURL
		}
		if in.Slug == "" {
			in.Slug = org.Slug
		}
	}
	c, err := s.newClient(in.BaseURL, in.Token, in.Slug)
	if err != nil {
		return nil, err
	}
	return c.TestConnection(ctx)
}

func (s *Service) load(ctx context.Context, id int64) (*models.PretixOrganizer, error) {
	var org models.PretixOrganizer
	if err := s.db.WithContext(ctx).First(&org, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, apperr.NotFound("pretix_organizer_not_found", "This pretix connection does not exist (any more).")
		}
		return nil, apperr.Internal(err)
	}
	return &org, nil
}

func (s *Service) newWebhookSecret() (sealed, hash string, err error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(s.cfg.Random, b); err != nil {
		return "", "", apperr.Internal(err)
	}
	sec := base64.RawURLEncoding.EncodeToString(b)
	if sealed, err = s.box.Seal(sec); err != nil {
		return "", "", apperr.Internal(err)
	}
	return sealed, hashSecret(sec), nil
}

func hashSecret(sec string) string {
	h := sha256.Sum256([]byte(sec))
	return hex.EncodeToString(h[:])
}

func webhookPasswordHash(user, password string, cost int) (string, error) {
	if strings.ContainsAny(user, ":") || strings.TrimSpace(user) != user {
		return "", apperr.Invalid("pretix_webhook_user_invalid", "The webhook user name must not contain a colon or surrounding spaces.").
			WithField("webhook_user", "No colon or surrounding spaces.")
	}
	if len(password) < 12 {
		return "", apperr.Invalid("pretix_webhook_password_short", "The webhook password must be at least 12 characters long; pretix stores it in the webhook URL, so use a random one.").
			WithField("webhook_password", "At least 12 characters.")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(h), nil
}

// Create tests the connection, then stores the organizer (token sealed),
// its events and a new webhook secret, and starts the first pull.
func (s *Service) Create(ctx context.Context, in ConnectInput) (*OrganizerView, error) {
	if (in.WebhookUser == "") != (in.WebhookPassword == "") {
		return nil, apperr.Invalid("pretix_webhook_auth_incomplete", "Enter both a webhook user name and a password, or neither.").
			WithField("webhook_password", "Both or neither.")
	}
	var pwHash string
	if in.WebhookUser != "" {
		var err error
		if pwHash, err = webhookPasswordHash(in.WebhookUser, in.WebhookPassword, s.cfg.PasswordCost); err != nil {
			return nil, err
		}
	}
	c, err := s.newClient(in.BaseURL, in.Token, in.Slug)
	if err != nil {
		return nil, err
	}
	info, err := c.TestConnection(ctx)
	if err != nil {
		return nil, err
	}
	sealedToken, err := s.box.Seal(strings.TrimSpace(in.Token))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	sealedSecret, secretHash, err := s.newWebhookSecret()
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	org := models.PretixOrganizer{
		BaseURL: c.BaseURL(), Slug: info.Organizer.Slug, Name: info.Organizer.Name, TokenSealed: sealedToken,
		WebhookSecretSealed: sealedSecret, WebhookSecretHash: secretHash, WebhookUser: in.WebhookUser, WebhookPasswordHash: pwHash,
		CreatedAt: now, UpdatedAt: now,
	}
	if info.OrganizerOrderList {
		org.OrdersEndpoint = ModeOrganizer
	} else {
		org.OrdersEndpoint = ModeEvent
	}
	// The app's addresses name organizers by slug alone, so a slug may be
	// connected once, whichever pretix installation it comes from.
	var dup []models.PretixOrganizer
	if err := s.db.WithContext(ctx).Where("slug = ?", org.Slug).Limit(1).Find(&dup).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if len(dup) > 0 && dup[0].BaseURL == org.BaseURL {
		return nil, apperr.New(apperr.KindConflict, "pretix_organizer_exists",
			"The organizer \u201c"+org.Slug+"\u201d of this pretix installation is already connected. Edit that connection instead.").
			WithField("slug", "Already connected.")
	}
	if len(dup) > 0 {
		return nil, apperr.New(apperr.KindConflict, "pretix_organizer_slug_taken",
			"An organizer with the short name \u201c"+org.Slug+"\u201d is already connected from another pretix installation ("+
				strings.TrimSuffix(dup[0].BaseURL, "api/v1/")+"). Organizers are told apart by their short name here, so only one of them "+
				"can be connected; remove the other connection first if you want to switch.").
			WithField("slug", "Already connected from another pretix installation.")
	}
	if err := s.db.WithContext(ctx).Create(&org).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	if err := s.puller.storeEvents(ctx, org.ID, info.Events); err != nil {
		return nil, err
	}
	s.startPull(org.ID)
	return s.view(ctx, &org)
}

// Update changes a connection. A new token or URL is tested first and must
// still reach the same organizer; the organizer itself cannot change.
func (s *Service) Update(ctx context.Context, id int64, in UpdateInput) (*OrganizerView, error) {
	org, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	cols := map[string]any{}
	if in.BaseURL != "" || in.Token != "" {
		token := in.Token
		if token == "" {
			if token, err = s.box.Open(org.TokenSealed); err != nil {
				return nil, apperr.Internal(err)
			}
		}
		base := in.BaseURL
		if base == "" {
			base = org.BaseURL
		}
		c, err := s.newClient(base, token, org.Slug)
		if err != nil {
			return nil, err
		}
		info, err := c.TestConnection(ctx)
		if err != nil {
			return nil, err
		}
		if in.Token != "" {
			sealed, err := s.box.Seal(strings.TrimSpace(in.Token))
			if err != nil {
				return nil, apperr.Internal(err)
			}
			cols["token_sealed"] = sealed
		}
		if c.BaseURL() != org.BaseURL {
			cols["base_url"] = c.BaseURL()
		}
		cols["name"] = info.Organizer.Name
	}
	if in.WebhookUser != nil {
		switch user := *in.WebhookUser; {
		case user == "":
			cols["webhook_user"], cols["webhook_password_hash"] = "", ""
		case user == org.WebhookUser && in.WebhookPassword == "" && org.WebhookPasswordHash != "":
			// unchanged
		default:
			if in.WebhookPassword == "" {
				return nil, apperr.Invalid("pretix_webhook_auth_incomplete", "Enter a password for the new webhook user name.").
					WithField("webhook_password", "Required for a new user name.")
			}
			h, err := webhookPasswordHash(user, in.WebhookPassword, s.cfg.PasswordCost)
			if err != nil {
				return nil, err
			}
			cols["webhook_user"], cols["webhook_password_hash"] = user, h
		}
	} else if in.WebhookPassword != "" {
		if org.WebhookUser == "" {
			return nil, apperr.Invalid("pretix_webhook_auth_incomplete", "Enter a webhook user name for the password.").WithField("webhook_user", "Required.")
		}
		h, err := webhookPasswordHash(org.WebhookUser, in.WebhookPassword, s.cfg.PasswordCost)
		if err != nil {
			return nil, err
		}
		cols["webhook_password_hash"] = h
	}
	if in.RotateWebhookSecret {
		sealed, hash, err := s.newWebhookSecret()
		if err != nil {
			return nil, err
		}
		cols["webhook_secret_sealed"], cols["webhook_secret_hash"] = sealed, hash
	}
	if len(cols) > 0 {
		cols["updated_at"] = s.clock.Now().UTC()
		if err := s.db.WithContext(ctx).Model(org).UpdateColumns(cols).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		if err := s.db.WithContext(ctx).First(org, id).Error; err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return s.view(ctx, org)
}

// DeleteCounts says what Delete removed.
type DeleteCounts struct {
	Events        int `json:"events"`
	Orders        int `json:"orders"`
	LogEntries    int `json:"log_entries"`
	Notifications int `json:"notifications"`
}

// Delete removes the organizer and everything stored for it (other
// packages' rows follow through ON DELETE CASCADE), stopping a pull in
// progress first.
func (s *Service) Delete(ctx context.Context, id int64) (DeleteCounts, error) {
	var dc DeleteCounts
	if _, err := s.load(ctx, id); err != nil {
		return dc, err
	}
	s.mu.Lock()
	run := s.runs[id]
	s.mu.Unlock()
	if run != nil {
		run.cancel()
		select {
		case <-run.done:
		case <-ctx.Done():
			return dc, ctx.Err()
		}
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		counts := []struct {
			dst *int
			sql string
		}{
			{&dc.Events, `SELECT COUNT(*) FROM pretix_events WHERE organizer_id = ?`},
			{&dc.Orders, `SELECT COUNT(*) FROM pretix_orders WHERE organizer_id = ?`},
			{&dc.LogEntries, `SELECT COUNT(*) FROM order_log WHERE order_id IN (SELECT id FROM pretix_orders WHERE organizer_id = ?)`},
			{&dc.Notifications, `SELECT COUNT(*) FROM pretix_webhook_seen WHERE organizer_id = ?`},
		}
		for _, c := range counts {
			var n int64
			if err := tx.Raw(c.sql, id).Scan(&n).Error; err != nil {
				return err
			}
			*c.dst = int(n)
		}
		return tx.Delete(&models.PretixOrganizer{}, id).Error
	})
	if err != nil {
		return DeleteCounts{}, apperr.Internal(err)
	}
	return dc, nil
}

// List returns every connected organizer.
func (s *Service) List(ctx context.Context) ([]OrganizerView, error) {
	var orgs []models.PretixOrganizer
	if err := s.db.WithContext(ctx).Order("name, id").Find(&orgs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]OrganizerView, 0, len(orgs))
	for i := range orgs {
		v, err := s.view(ctx, &orgs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// Get returns one organizer (never its token).
func (s *Service) Get(ctx context.Context, id int64) (*OrganizerView, error) {
	org, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, org)
}

// FindOrganizer returns the connected organizer with this slug. Two
// connected pretix servers may both have an organizer with that slug; the
// first connected one wins, as it did before the second was added.
func (s *Service) FindOrganizer(ctx context.Context, slug string) (*models.PretixOrganizer, error) {
	var org models.PretixOrganizer
	err := s.db.WithContext(ctx).Where("slug = ?", slug).Order("id").Take(&org).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("organizer_not_found",
			fmt.Sprintf("There is no connected pretix organizer %q. Check the address, or connect the organizer first.", slug))
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return &org, nil
}

// FindEvent returns an organizer's stored event with this slug.
func (s *Service) FindEvent(ctx context.Context, org *models.PretixOrganizer, slug string) (*models.PretixEvent, error) {
	var ev models.PretixEvent
	err := s.db.WithContext(ctx).Where("organizer_id = ? AND slug = ?", org.ID, slug).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("event_not_found",
			fmt.Sprintf("Organizer %q has no event %q here. If it is new in pretix, refresh the organizer's events.", org.Slug, slug))
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return &ev, nil
}
