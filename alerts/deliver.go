package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Message is one alert as people read it.
type Message struct {
	Kind    string    `json:"kind"`  // KindProblems, KindReconnect, KindDailyLimit, KindTest
	State   string    `json:"state"` // "raised" or "cleared"
	Key     string    `json:"key"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Link    string    `json:"link,omitempty"`
	At      time.Time `json:"at"`
}

// Channels of delivery.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// deliver sends m on every configured channel and returns the channels it
// reached and the failures, each phrased for people.
func (s *Service) deliver(ctx context.Context, m *models.AlertSettings, msg Message, only string) (sent []string, failures []string) {
	if (only == "" || only == ChannelEmail) && m.SMTPHost != "" && m.MailTo != "" {
		if err := s.sendMail(ctx, m, msg); err != nil {
			failures = append(failures, "E-mail: "+err.Error())
		} else {
			sent = append(sent, ChannelEmail)
		}
	}
	if (only == "" || only == ChannelWebhook) && m.WebhookURL != "" {
		if err := s.postWebhook(ctx, m.WebhookURL, msg); err != nil {
			failures = append(failures, "Webhook: "+err.Error())
		} else {
			sent = append(sent, ChannelWebhook)
		}
	}
	return sent, failures
}

func (s *Service) sendMail(ctx context.Context, m *models.AlertSettings, msg Message) error {
	mm := gomail.NewMsg()
	if err := mm.From(m.MailFrom); err != nil {
		return fmt.Errorf("the sender address %q is not valid (%v)", m.MailFrom, err)
	}
	if err := mm.To(splitList(m.MailTo)...); err != nil {
		return fmt.Errorf("a recipient address is not valid (%v)", err)
	}
	mm.Subject("[pretix → HubSpot] " + msg.Subject)
	body := msg.Body
	if msg.Link != "" {
		body += "\n\n" + msg.Link
	}
	mm.SetBodyString(gomail.TypeTextPlain, body+"\n")
	opts := []gomail.Option{gomail.WithPort(m.SMTPPort), gomail.WithTimeout(15 * time.Second)}
	switch m.SMTPSecurity {
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL())
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.SMTPUsername != "" {
		password := ""
		if m.SMTPPasswordSealed != "" {
			p, err := s.box.Open(m.SMTPPasswordSealed)
			if err != nil {
				return errors.New("the stored SMTP password cannot be opened with this data directory's key; enter it again")
			}
			password = p
		}
		auth := gomail.SMTPAuthAutoDiscover
		if m.SMTPSecurity == SecurityNone {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(m.SMTPUsername), gomail.WithPassword(password))
	}
	c, err := gomail.NewClient(m.SMTPHost, opts...)
	if err != nil {
		return fmt.Errorf("the mail settings cannot be used (%v)", err)
	}
	if err := c.DialAndSendWithContext(ctx, mm); err != nil {
		return fmt.Errorf("%s:%d did not take the message: %v. Check the host, port, security and login", m.SMTPHost, m.SMTPPort, err)
	}
	return nil
}

// postWebhook posts the alert as JSON: "text" for Slack-compatible
// receivers (Slack, Mattermost, Rocket.Chat, Teams workflows), the parts
// under "alert" for everyone else.
func (s *Service) postWebhook(ctx context.Context, url string, msg Message) error {
	text := "*" + msg.Subject + "*\n" + msg.Body
	if msg.Link != "" {
		text += "\n" + msg.Link
	}
	b, _ := json.Marshal(map[string]any{"text": text, "alert": msg})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("the webhook URL cannot be used (%v)", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pretix-hubspot-alerts")
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL's path may hold the webhook's secret: name only the cause.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s could not be reached (%v)", hostOf(url), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %d %s", hostOf(url), resp.StatusCode, strings.TrimSpace(string(snippet)))
	}
	return nil
}

// hostOf names the webhook's host in messages (the URL's path may hold a
// secret token, as Slack's do).
func hostOf(raw string) string {
	if u, err := neturl.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the webhook"
}

// SendTest sends a test message on one channel with the stored settings.
func (s *Service) SendTest(ctx context.Context, channel string) error {
	m, err := s.load(ctx)
	if err != nil {
		return err
	}
	switch {
	case channel == ChannelEmail && (m.SMTPHost == "" || m.MailTo == ""):
		return apperr.Invalid("alerts_email_off", "Save a mail server and at least one recipient first.")
	case channel == ChannelWebhook && m.WebhookURL == "":
		return apperr.Invalid("alerts_webhook_off", "Save a webhook URL first.")
	case channel != ChannelEmail && channel != ChannelWebhook:
		return apperr.Invalid("alerts_channel", "Choose e-mail or webhook.")
	}
	msg := Message{Kind: KindTest, State: "raised", Key: "test", Subject: "Test alert",
		Body: "This is a test. Alerts from pretix → HubSpot arrive like this one: when an event gets its first sync problem and when they are all solved, " +
			"when a HubSpot connection needs reconnecting, and when an account reaches its daily API limit.",
		Link: s.base + "/settings", At: s.clock.Now().UTC()}
	_, failures := s.deliver(ctx, m, msg, channel)
	if len(failures) > 0 {
		s.recordDelivery(ctx, failures[0])
		return apperr.New(apperr.KindUnavailable, "alerts_test_failed", "The test was not delivered. "+failures[0]+".")
	}
	s.recordDelivery(ctx, "")
	return nil
}
