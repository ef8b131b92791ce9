package pretixfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Webhook is an organizer-level webhook as configured in pretix.
type Webhook struct {
	ID          int64
	TargetURL   string
	Enabled     bool // AddWebhook enables it; a 410 answer disables it
	AllEvents   bool
	LimitEvents []string
	// ActionTypes lists the subscribed actions; an entry ending in ".*"
	// subscribes to every action below it. Empty means every action.
	ActionTypes []string
}

// WebhookDelivery is one attempt to deliver a notification.
type WebhookDelivery struct {
	WebhookID      int64
	NotificationID int64
	Action         string
	Attempt        int // 1 for the first try
	At             time.Time
	StatusCode     int    // 0 when no answer arrived
	Err            string // connection error or timeout
	Payload        []byte
}

// DefaultWebhookRetrySchedule is pretix's back-off after a failed delivery:
// about three days in total, then pretix gives up.
func DefaultWebhookRetrySchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 20 * time.Minute,
		time.Hour, 4 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	}
}

// AddWebhook registers a webhook for the organizer and returns its id.
func (s *Server) AddWebhook(org string, w Webhook) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[org]
	if o == nil {
		return 0, errUnknown("organizer", org)
	}
	w.ID = s.newID()
	w.Enabled = true
	o.webhooks = append(o.webhooks, &w)
	return w.ID, nil
}

// WebhookEnabled reports whether a webhook is still enabled (pretix disables
// it when the receiver answers 410 Gone).
func (s *Server) WebhookEnabled(org string, id int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.orgs[org]; o != nil {
		for _, w := range o.webhooks {
			if w.ID == id {
				return w.Enabled
			}
		}
	}
	return false
}

// WebhookDeliveries returns every delivery attempt so far.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]WebhookDelivery(nil), s.hooks.log...)
}

// WebhookPayload is what pretix posts for an order action.
type WebhookPayload struct {
	NotificationID int64  `json:"notification_id"`
	Organizer      string `json:"organizer"`
	Event          string `json:"event"`
	Code           string `json:"code"`
	Action         string `json:"action"`
	// Check-in notifications name the ticket too.
	OrderPositionID         int64  `json:"orderposition_id,omitempty"`
	OrderPositionPositionID int    `json:"orderposition_positionid,omitempty"`
	CheckinList             int64  `json:"checkin_list,omitempty"`
	Type                    string `json:"type,omitempty"`
	FirstCheckin            *bool  `json:"first_checkin,omitempty"`
}

type delivery struct {
	hook    *Webhook
	org     string
	payload WebhookPayload
	attempt int // attempts made so far
}

// webhookSender posts notifications asynchronously with pretix's retry
// schedule, driven by the emulator's clock.
type webhookSender struct {
	s      *Server
	clock  clockwork.Clock
	client *http.Client
	queue  chan *delivery
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	retries map[*delivery]retry
	log     []WebhookDelivery
	active  int           // deliveries queued or in flight
	changed chan struct{} // closed and replaced whenever active or retries change
}

type retry struct {
	timer clockwork.Timer
	due   time.Time
}

// broadcast wakes WaitWebhooks; the caller holds ws.mu.
func (ws *webhookSender) broadcast() {
	close(ws.changed)
	ws.changed = make(chan struct{})
}

func (ws *webhookSender) doneActive() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.active--
	ws.broadcast()
}

// idle reports whether nothing is queued, in flight or due for a retry; the
// caller holds ws.mu.
func (ws *webhookSender) idle() bool {
	if ws.active > 0 {
		return false
	}
	now := ws.clock.Now()
	for _, r := range ws.retries {
		if !r.due.After(now) {
			return false
		}
	}
	return true
}

func newWebhookSender(s *Server) *webhookSender {
	ctx, cancel := context.WithCancel(context.Background())
	ws := &webhookSender{
		s:     s,
		clock: s.clock,
		client: &http.Client{
			Timeout: s.opts.WebhookTimeout,
			// pretix does not follow redirects: a 3xx is a failed delivery.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		queue:   make(chan *delivery, 1024),
		ctx:     ctx,
		cancel:  cancel,
		retries: map[*delivery]retry{},
		changed: make(chan struct{}),
	}
	for i := 0; i < s.opts.WebhookWorkers; i++ {
		ws.wg.Add(1)
		go ws.work()
	}
	return ws
}

func actionMatches(types []string, action string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if t == action {
			return true
		}
		if p, ok := strings.CutSuffix(t, ".*"); ok && strings.HasPrefix(action, p+".") {
			return true
		}
	}
	return false
}

// notify creates a log entry (a new notification id) and queues it for
// every matching enabled webhook of the organizer.
func (ws *webhookSender) notify(org, ev, code, action string) {
	ws.notifyPayload(WebhookPayload{Organizer: org, Event: ev, Code: code, Action: action})
}

// notifyPayload sends p (its notification id filled in) to every webhook
// that subscribes to its action.
func (ws *webhookSender) notifyPayload(p WebhookPayload) {
	s := ws.s
	org, ev, action := p.Organizer, p.Event, p.Action
	s.mu.Lock()
	s.nextLog++
	id := s.nextLog
	var targets []*Webhook
	if o := s.orgs[org]; o != nil {
		for _, w := range o.webhooks {
			if w.Enabled && (w.AllEvents || contains(w.LimitEvents, ev)) && actionMatches(w.ActionTypes, action) {
				targets = append(targets, w)
			}
		}
	}
	s.mu.Unlock()
	for _, w := range targets {
		p.NotificationID = id
		ws.enqueue(&delivery{hook: w, org: org, payload: p})
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (ws *webhookSender) enqueue(d *delivery) {
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return
	}
	ws.active++
	delete(ws.retries, d)
	ws.broadcast()
	ws.mu.Unlock()
	select {
	case ws.queue <- d:
	case <-ws.ctx.Done():
		ws.doneActive()
	}
}

func (ws *webhookSender) work() {
	defer ws.wg.Done()
	for {
		select {
		case <-ws.ctx.Done():
			return
		case d := <-ws.queue:
			ws.deliver(d)
		}
	}
}

func (ws *webhookSender) deliver(d *delivery) {
	defer ws.doneActive()
	d.attempt++
	body, _ := json.Marshal(d.payload)
	rec := WebhookDelivery{WebhookID: d.hook.ID, NotificationID: d.payload.NotificationID, Action: d.payload.Action, Attempt: d.attempt, At: ws.clock.Now(), Payload: body}
	req, err := http.NewRequestWithContext(ws.ctx, http.MethodPost, d.hook.TargetURL, bytes.NewReader(body))
	ok := false
	gone := false
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		resp, derr := ws.client.Do(req)
		if derr != nil {
			rec.Err = derr.Error()
		} else {
			resp.Body.Close()
			rec.StatusCode = resp.StatusCode
			ok = resp.StatusCode >= 200 && resp.StatusCode < 300
			gone = resp.StatusCode == http.StatusGone
		}
	} else {
		rec.Err = err.Error()
	}
	ws.mu.Lock()
	ws.log = append(ws.log, rec)
	ws.mu.Unlock()
	if ok || errors.Is(ws.ctx.Err(), context.Canceled) {
		return
	}
	if gone {
		ws.s.mu.Lock()
		d.hook.Enabled = false
		ws.s.mu.Unlock()
		return
	}
	sched := ws.s.opts.WebhookRetrySchedule
	if ws.s.opts.WebhookNoRetry || d.attempt > len(sched) {
		return
	}
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return
	}
	wait := sched[d.attempt-1]
	ws.retries[d] = retry{due: ws.clock.Now().Add(wait), timer: ws.clock.AfterFunc(wait, func() { ws.enqueue(d) })}
	ws.broadcast()
	ws.mu.Unlock()
}

// WaitWebhooks blocks until no delivery is queued, in flight or due for a
// retry at the clock's now, or ctx ends. Retries due later do not count:
// advance the clock to release them.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	for {
		s.hooks.mu.Lock()
		if s.hooks.idle() {
			s.hooks.mu.Unlock()
			return nil
		}
		ch := s.hooks.changed
		s.hooks.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (ws *webhookSender) close() {
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return
	}
	ws.closed = true
	for d, r := range ws.retries {
		r.timer.Stop()
		delete(ws.retries, d)
	}
	ws.broadcast()
	ws.mu.Unlock()
	ws.cancel()
	ws.wg.Wait()
	// Drain what the workers did not pick up.
	for {
		select {
		case <-ws.queue:
			ws.doneActive()
		default:
			return
		}
	}
}
