// Package alerts tells people when something needs them: an event's first
// sync problem and its recovery, a HubSpot connection that needs
// reconnecting, a portal at its daily limit. Conditions are checked on a
// timer and compared with the last announced state, so each change is
// announced once — by e-mail (SMTP), by a Slack-compatible webhook, or both
// — never once per order.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// SMTP security modes.
const (
	SecurityStartTLS = "starttls" // port 587: plain, then STARTTLS (required)
	SecurityTLS      = "tls"      // port 465: TLS from the start
	SecurityNone     = "none"     // a local relay; the password would travel in clear
)

// Settings is the alert configuration as the settings page shows it; the
// SMTP password goes in, never out.
type Settings struct {
	SMTPHost     string     `json:"smtp_host"`
	SMTPPort     int        `json:"smtp_port"`
	SMTPSecurity string     `json:"smtp_security"`
	SMTPUsername string     `json:"smtp_username"`
	PasswordSet  bool       `json:"smtp_password_set"`
	MailFrom     string     `json:"mail_from"`
	MailTo       []string   `json:"mail_to"`
	WebhookURL   string     `json:"webhook_url"`
	EmailOn      bool       `json:"email_on"`   // e-mail is configured
	WebhookOn    bool       `json:"webhook_on"` // a webhook is configured
	LastError    string     `json:"last_error,omitempty"`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// Input is what the settings form sends. An empty password keeps the
// stored one; ClearPassword removes it.
type Input struct {
	SMTPHost      string   `json:"smtp_host"`
	SMTPPort      int      `json:"smtp_port"`
	SMTPSecurity  string   `json:"smtp_security"`
	SMTPUsername  string   `json:"smtp_username"`
	SMTPPassword  string   `json:"smtp_password"`
	ClearPassword bool     `json:"clear_password"`
	MailFrom      string   `json:"mail_from"`
	MailTo        []string `json:"mail_to"`
	WebhookURL    string   `json:"webhook_url"`
}

// Options configure the service.
type Options struct {
	DB      *gorm.DB
	Box     *secret.Box
	Clock   clockwork.Clock
	Logger  *slog.Logger
	BaseURL string // where links in messages point, e.g. https://sync.example.org
	// HTTPClient posts to the webhook; default one with a 10 s timeout.
	HTTPClient *http.Client
	// Probes say which conditions hold now.
	Probes []Probe
}

// Service stores the settings, delivers messages and checks conditions.
type Service struct {
	db     *gorm.DB
	box    *secret.Box
	clock  clockwork.Clock
	log    *slog.Logger
	base   string
	client *http.Client
	probes []Probe
}

// New returns the alert service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Service{db: o.DB, box: o.Box, clock: o.Clock, log: o.Logger, base: strings.TrimSuffix(o.BaseURL, "/"), client: o.HTTPClient, probes: o.Probes}
}

func (s *Service) load(ctx context.Context) (*models.AlertSettings, error) {
	var m models.AlertSettings
	err := s.db.WithContext(ctx).Where("id = 1").Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &models.AlertSettings{ID: 1, SMTPPort: 587, SMTPSecurity: SecurityStartTLS}, nil
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return &m, nil
}

func view(m *models.AlertSettings) *Settings {
	out := &Settings{SMTPHost: m.SMTPHost, SMTPPort: m.SMTPPort, SMTPSecurity: m.SMTPSecurity, SMTPUsername: m.SMTPUsername,
		PasswordSet: m.SMTPPasswordSealed != "", MailFrom: m.MailFrom, MailTo: splitList(m.MailTo), WebhookURL: m.WebhookURL,
		LastError: m.LastError, LastErrorAt: m.LastErrorAt}
	out.EmailOn = m.SMTPHost != "" && len(out.MailTo) > 0
	out.WebhookOn = m.WebhookURL != ""
	if !m.UpdatedAt.IsZero() {
		t := m.UpdatedAt
		out.UpdatedAt = &t
	}
	return out
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Settings returns the alert settings.
func (s *Service) Settings(ctx context.Context) (*Settings, error) {
	m, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return view(m), nil
}

// Save validates and stores the settings; every field's problem is named
// at once.
func (s *Service) Save(ctx context.Context, in Input) (*Settings, error) {
	m, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	in.SMTPHost = strings.TrimSpace(in.SMTPHost)
	if strings.ContainsAny(in.SMTPHost, " /:") {
		fields["smtp_host"] = "Enter the mail server's host name only, e.g. smtp.example.org (the port goes in its own field)."
	}
	if in.SMTPPort == 0 {
		in.SMTPPort = map[string]int{SecurityTLS: 465, SecurityNone: 25}[in.SMTPSecurity]
		if in.SMTPPort == 0 {
			in.SMTPPort = 587
		}
	}
	if in.SMTPPort < 1 || in.SMTPPort > 65535 {
		fields["smtp_port"] = "The port is a number from 1 to 65535 (587 for STARTTLS, 465 for TLS)."
	}
	if in.SMTPSecurity == "" {
		in.SMTPSecurity = SecurityStartTLS
	}
	if in.SMTPSecurity != SecurityStartTLS && in.SMTPSecurity != SecurityTLS && in.SMTPSecurity != SecurityNone {
		fields["smtp_security"] = "Choose STARTTLS, TLS or none."
	}
	var to []string
	for _, a := range in.MailTo {
		for _, p := range splitList(a) {
			if _, err := mail.ParseAddress(p); err != nil {
				fields["mail_to"] = fmt.Sprintf("“%s” is not an e-mail address.", p)
			}
			to = append(to, p)
		}
	}
	in.MailFrom = strings.TrimSpace(in.MailFrom)
	if in.MailFrom != "" {
		if _, err := mail.ParseAddress(in.MailFrom); err != nil {
			fields["mail_from"] = fmt.Sprintf("“%s” is not an e-mail address.", in.MailFrom)
		}
	}
	if in.SMTPHost != "" {
		if len(to) == 0 {
			fields["mail_to"] = "Enter at least one address to send alerts to."
		}
		if in.MailFrom == "" {
			fields["mail_from"] = "Enter the sender address your mail server accepts, e.g. alerts@example.org."
		}
	}
	in.WebhookURL = strings.TrimSpace(in.WebhookURL)
	if in.WebhookURL != "" {
		u, err := url.Parse(in.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fields["webhook_url"] = "Enter the webhook's full URL, e.g. https://hooks.slack.com/services/…"
		}
	}
	if len(fields) > 0 {
		e := apperr.Invalid("alerts_invalid", "Some alert settings need fixing: see the fields marked below.")
		for k, v := range fields {
			e.WithField(k, v)
		}
		return nil, e
	}
	m.SMTPHost, m.SMTPPort, m.SMTPSecurity, m.SMTPUsername = in.SMTPHost, in.SMTPPort, in.SMTPSecurity, strings.TrimSpace(in.SMTPUsername)
	m.MailFrom, m.MailTo, m.WebhookURL = in.MailFrom, strings.Join(to, ", "), in.WebhookURL
	switch {
	case in.ClearPassword:
		m.SMTPPasswordSealed = ""
	case in.SMTPPassword != "":
		sealed, err := s.box.Seal(in.SMTPPassword)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		m.SMTPPasswordSealed = sealed
	}
	m.UpdatedAt = s.clock.Now().UTC()
	if err := s.db.WithContext(ctx).Save(m).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	s.log.Info("alerts: settings saved", "email", m.SMTPHost != "", "webhook", m.WebhookURL != "")
	return view(m), nil
}

// recordDelivery keeps the last failure for the settings page (cleared by
// the next success).
func (s *Service) recordDelivery(ctx context.Context, failure string) {
	upd := map[string]any{"last_error": failure, "last_error_at": nil}
	if failure != "" {
		upd["last_error_at"] = s.clock.Now().UTC()
	}
	if err := s.db.WithContext(ctx).Model(&models.AlertSettings{}).Where("id = 1").Updates(upd).Error; err != nil {
		s.log.Error("alerts: record delivery", "err", err)
	}
}
