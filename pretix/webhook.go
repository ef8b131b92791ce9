package pretix

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/pretixwire"
)

// MaxWebhookBody bounds a webhook request body; pretix sends a few hundred
// bytes.
const MaxWebhookBody = 64 << 10

// WebhookRequest is the framework-neutral view of POST /webhooks/pretix/<secret>.
type WebhookRequest struct {
	Secret       string    // the path segment after WebhookPathPrefix
	Body         io.Reader // read up to MaxWebhookBody+1 bytes
	User         string    // HTTP Basic credentials, when HasBasicAuth
	Password     string
	HasBasicAuth bool
}

// WebhookRequestFrom builds a WebhookRequest from a net/http request.
func WebhookRequestFrom(secret string, r *http.Request) WebhookRequest {
	user, pass, ok := r.BasicAuth()
	return WebhookRequest{Secret: secret, Body: r.Body, User: user, Password: pass, HasBasicAuth: ok}
}

// Webhook outcomes (WebhookResult.Status); all are answered with 2xx.
const (
	WebhookQueued    = "queued"    // the order is fetched from pretix in the background
	WebhookDuplicate = "duplicate" // this notification_id was seen before
	WebhookIgnored   = "ignored"   // unknown event or an action without an order
	WebhookNoted     = "noted"     // catalogue change: refreshed at the next pull
)

// WebhookResult says what happened to an accepted notification.
type WebhookResult struct {
	Status         string `json:"status"`
	Reason         string `json:"reason,omitempty"`
	NotificationID int64  `json:"notification_id"`
}

// WebhookHandler checks and accepts pretix notifications. The payload is
// only a trigger: the order is always fetched from the API.
type WebhookHandler struct {
	s *Service

	mu        sync.Mutex
	verified  map[int64][32]byte // organizer → digest of the last accepted credentials
	lastSweep time.Time
}

type webhookPayload struct {
	NotificationID *json.Number `json:"notification_id"`
	Organizer      string       `json:"organizer"`
	Event          string       `json:"event"`
	Code           string       `json:"code"`
	Action         string       `json:"action"`
}

func errWebhookUnknown() *apperr.Error {
	return apperr.NotFound("pretix_webhook_unknown",
		"No pretix connection uses this webhook address. Copy the webhook URL again from the pretix connection's settings page.")
}

// Handle authenticates and checks a notification, remembers its id, and
// queues a fetch of the order it names. It returns quickly; errors are
// *apperr.Error: NotFound for an unknown secret, Unauthorized for bad Basic
// credentials, Invalid for a malformed or oversized body.
func (h *WebhookHandler) Handle(ctx context.Context, req WebhookRequest) (WebhookResult, error) {
	res, err := h.handle(ctx, req)
	if on := h.s.cfg.OnWebhook; on != nil {
		status := string(res.Status)
		if err != nil {
			status = "refused"
		}
		on(status)
	}
	return res, err
}

func (h *WebhookHandler) handle(ctx context.Context, req WebhookRequest) (WebhookResult, error) {
	org, err := h.organizerFor(ctx, req.Secret)
	if err != nil {
		return WebhookResult{}, err
	}
	if err := h.checkAuth(org, req); err != nil {
		return WebhookResult{}, err
	}
	p, err := readPayload(req.Body)
	if err != nil {
		return WebhookResult{}, err
	}
	nid, _ := p.NotificationID.Int64()
	res := WebhookResult{NotificationID: nid}
	if p.Organizer != org.Slug {
		// Acknowledged but ignored: an error answer would only make pretix
		// retry the same notification for days.
		h.s.log.Warn("pretix webhook for another organizer ignored; configure each organizer's webhook with its own address",
			"address_of", org.Slug, "notification_for", p.Organizer, "notification_id", nid)
		res.Status, res.Reason = WebhookIgnored, "this webhook address belongs to organizer \u201c"+org.Slug+"\u201d, not \u201c"+p.Organizer+"\u201d"
		return res, nil
	}
	fresh, err := h.remember(ctx, org.ID, nid)
	if err != nil {
		return res, err
	}
	if !fresh {
		res.Status, res.Reason = WebhookDuplicate, "notification already received"
		return res, nil
	}
	if p.Event == "" {
		res.Status, res.Reason = WebhookIgnored, "not about an event"
		return res, nil
	}
	var ev models.PretixEvent
	err = h.s.db.WithContext(ctx).Where("organizer_id = ? AND slug = ?", org.ID, p.Event).First(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		h.s.log.Info("pretix webhook for an unknown event ignored", "organizer", org.Slug, "event", p.Event, "action", p.Action, "notification_id", nid)
		res.Status, res.Reason = WebhookIgnored, "unknown event"
		return res, nil
	}
	if err != nil {
		return res, apperr.Internal(err)
	}
	if p.Code != "" {
		h.s.enqueueFetch(fetchJob{organizerID: org.ID, event: p.Event, code: p.Code})
		res.Status = WebhookQueued
		return res, nil
	}
	if catalogueAction(p.Action) {
		if err := h.s.db.WithContext(ctx).Model(&ev).UpdateColumn("refreshed_at", nil).Error; err != nil {
			return res, apperr.Internal(err)
		}
		res.Status, res.Reason = WebhookNoted, "catalogue is refreshed at the next pull"
		return res, nil
	}
	res.Status, res.Reason = WebhookIgnored, "action not used"
	return res, nil
}

func catalogueAction(a string) bool {
	for _, p := range []string{"pretix.event.item", "pretix.subevent", "pretix.event.question", "pretix.event.checkinlist", "pretix.event.changed", "pretix.event.settings"} {
		if a == p || strings.HasPrefix(a, p+".") {
			return true
		}
	}
	return false
}

func (h *WebhookHandler) organizerFor(ctx context.Context, sec string) (*models.PretixOrganizer, error) {
	if len(sec) < 16 || len(sec) > 128 {
		return nil, errWebhookUnknown()
	}
	want := hashSecret(sec)
	var org models.PretixOrganizer
	err := h.s.db.WithContext(ctx).Where("webhook_secret_hash = ?", want).First(&org).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errWebhookUnknown()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	// The lookup is by hash, so timing says nothing about the secret; the
	// comparison is constant-time all the same.
	if subtle.ConstantTimeCompare([]byte(want), []byte(org.WebhookSecretHash)) != 1 {
		return nil, errWebhookUnknown()
	}
	return &org, nil
}

func (h *WebhookHandler) checkAuth(org *models.PretixOrganizer, req WebhookRequest) error {
	if org.WebhookPasswordHash == "" {
		return nil
	}
	fail := apperr.New(apperr.KindUnauthorized, "pretix_webhook_auth",
		"The webhook needs the user name and password configured for this pretix connection (as https://user:password@… in pretix's webhook URL).")
	if !req.HasBasicAuth {
		return fail
	}
	key := sha256.Sum256([]byte(org.WebhookPasswordHash + "\x00" + req.User + "\x00" + req.Password))
	h.mu.Lock()
	known, ok := h.verified[org.ID]
	h.mu.Unlock()
	if ok && subtle.ConstantTimeCompare(known[:], key[:]) == 1 {
		return nil
	}
	userOK := subtle.ConstantTimeCompare([]byte(req.User), []byte(org.WebhookUser)) == 1
	// bcrypt runs even for a wrong user name, so timing does not tell which
	// part was wrong.
	pwOK := bcrypt.CompareHashAndPassword([]byte(org.WebhookPasswordHash), []byte(req.Password)) == nil
	if !userOK || !pwOK {
		return fail
	}
	h.mu.Lock()
	if h.verified == nil {
		h.verified = map[int64][32]byte{}
	}
	h.verified[org.ID] = key
	h.mu.Unlock()
	return nil
}

func readPayload(body io.Reader) (*webhookPayload, error) {
	if body == nil {
		body = bytes.NewReader(nil)
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxWebhookBody+1))
	if err != nil {
		return nil, apperr.Invalid("pretix_webhook_unreadable", "The webhook body could not be read.").Wrap(err)
	}
	if len(b) > MaxWebhookBody {
		return nil, apperr.Invalid("pretix_webhook_too_large", "The webhook body is larger than 64 KiB; pretix notifications are a few hundred bytes.")
	}
	var p webhookPayload
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, apperr.Invalid("pretix_webhook_malformed", "The webhook body is not the JSON object pretix sends.").Wrap(err)
	}
	var missing []string
	if p.NotificationID == nil {
		missing = append(missing, "notification_id")
	} else if _, err := p.NotificationID.Int64(); err != nil {
		return nil, apperr.Invalid("pretix_webhook_malformed", "The webhook's notification_id is not a whole number.").WithField("notification_id", "Not a whole number.")
	}
	if p.Organizer == "" {
		missing = append(missing, "organizer")
	}
	if p.Action == "" {
		missing = append(missing, "action")
	}
	if strings.HasPrefix(p.Action, "pretix.event.order.") {
		if p.Event == "" {
			missing = append(missing, "event")
		}
		if p.Code == "" {
			missing = append(missing, "code")
		}
	}
	if len(missing) > 0 {
		e := apperr.Invalid("pretix_webhook_incomplete", "The webhook body lacks "+strings.Join(missing, ", ")+".")
		for _, m := range missing {
			e.WithField(m, "Missing.")
		}
		return nil, e
	}
	return &p, nil
}

// remember stores the notification id; false means it was seen before.
// Old ids are swept now and then.
func (h *WebhookHandler) remember(ctx context.Context, orgID, nid int64) (bool, error) {
	now := h.s.clock.Now().UTC()
	r := h.s.db.WithContext(ctx).Exec(`INSERT INTO pretix_webhook_seen (organizer_id, notification_id, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (organizer_id, notification_id) DO NOTHING`, orgID, nid, now)
	if r.Error != nil {
		return false, apperr.Internal(r.Error)
	}
	h.mu.Lock()
	sweep := now.Sub(h.lastSweep) > time.Hour
	if sweep {
		h.lastSweep = now
	}
	h.mu.Unlock()
	if sweep {
		if err := h.s.db.WithContext(ctx).Exec(`DELETE FROM pretix_webhook_seen WHERE seen_at < ?`, now.Add(-h.s.cfg.SeenTTL)).Error; err != nil {
			h.s.log.Warn("sweep pretix webhook ids", "error", err)
		}
	}
	return r.RowsAffected == 1, nil
}

// fetchJob names an order to fetch because a webhook mentioned it.
type fetchJob struct {
	organizerID int64
	event, code string
}

// enqueueFetch queues a fetch unless the same order is already waiting; a
// full queue drops it (the next pull picks the order up anyway).
func (s *Service) enqueueFetch(j fetchJob) {
	s.mu.Lock()
	if s.pending[j] {
		s.mu.Unlock()
		return
	}
	s.pending[j] = true
	s.fetchChangedLocked()
	s.mu.Unlock()
	select {
	case s.fetchQ <- j:
	default:
		s.mu.Lock()
		delete(s.pending, j)
		s.fetchChangedLocked()
		s.mu.Unlock()
		s.log.Warn("pretix webhook fetch queue full; the order waits for the next pull", "event", j.event, "code", j.code)
	}
}

func (s *Service) fetchWorker() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.fetchQ:
			// A notification arriving while we fetch queues a new fetch: the
			// order may change after our request started.
			s.mu.Lock()
			delete(s.pending, j)
			s.fetching++
			s.fetchChangedLocked()
			s.mu.Unlock()
			if err := s.FetchOrder(s.ctx, j.organizerID, j.event, j.code); err != nil && s.ctx.Err() == nil {
				s.log.Warn("fetch pretix order named by webhook", "event", j.event, "code", j.code, "error", err)
			}
			s.mu.Lock()
			s.fetching--
			s.fetchChangedLocked()
			s.mu.Unlock()
		}
	}
}

// FetchOrder fetches one order from pretix and ingests it (source webhook).
// An order pretix no longer has is ignored.
func (s *Service) FetchOrder(ctx context.Context, organizerID int64, event, code string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err := s.fetchOrders(ctx, organizerID, event, []string{code}, SourceWebhook)
	return err
}

// fetchOrders reads orders of an event one by one from pretix and ingests
// those it still has; it returns the first code pretix no longer has ("" if
// none).
func (s *Service) fetchOrders(ctx context.Context, organizerID int64, event string, codes []string, source string) (gone string, err error) {
	org, err := s.load(ctx, organizerID)
	if err != nil {
		return "", err
	}
	c, err := s.clientFor(org)
	if err != nil {
		return "", err
	}
	orders := make([]pretixwire.Order, 0, len(codes))
	for _, code := range codes {
		o, err := c.GetOrder(ctx, event, code)
		if pretixapi.HasCode(err, pretixapi.CodeNotFound) {
			if gone == "" {
				gone = code
			}
			continue
		}
		if err != nil {
			return gone, err
		}
		orders = append(orders, *o)
	}
	if len(orders) == 0 {
		return gone, nil
	}
	_, err = s.ingester.Ingest(ctx, organizerID, orders, source)
	return gone, err
}

// fetchChangedLocked wakes WaitWebhookFetches; the caller holds s.mu.
func (s *Service) fetchChangedLocked() {
	close(s.fetchChanged)
	s.fetchChanged = make(chan struct{})
}

// WaitWebhookFetches blocks until no webhook fetch is queued or running, or
// ctx ends. Tests and benchmarks use it.
func (s *Service) WaitWebhookFetches(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle := len(s.pending) == 0 && s.fetching == 0
		ch := s.fetchChanged
		s.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
