package pretixfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// codeAlphabet is pretix's order code alphabet (no 0/O, 1/I).
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"

// orderCode turns a sequence number into a unique, random-looking code: a
// multiplication modulo 28^5 by a number coprime to 28 is a bijection.
func orderCode(seq int64) string {
	const space = 28 * 28 * 28 * 28 * 28
	n := (seq * 1_000_003) % space
	var b [5]byte
	for i := 4; i >= 0; i-- {
		b[i] = codeAlphabet[n%28]
		n /= 28
	}
	return string(b[:])
}

// secretFor derives a stable secret-looking string (never a real secret).
func secretFor(kind string, n int64, length int) string {
	const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
	x := uint64(n)*0x9E3779B97F4A7C15 ^ uint64(len(kind))*0xBF58476D1CE4E5B9
	out := make([]byte, length)
	for i := range out {
		x ^= x >> 31
		x *= 0x94D049BB133111EB
		x ^= x >> 29
		out[i] = alpha[x%uint64(len(alpha))]
	}
	return string(out)
}

func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func cents(s string) int64 {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var v int64
	for _, c := range whole {
		v = v*10 + int64(c-'0')
	}
	frac = (frac + "00")[:2]
	v = v*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if neg {
		v = -v
	}
	return v
}

// recomputeTotal sets total to the sum of active positions and fees.
func recomputeTotal(o *Order) {
	var t int64
	for _, p := range o.Positions {
		if !p.Canceled {
			t += cents(p.Price)
		}
	}
	for _, f := range o.Fees {
		if !f.Canceled {
			t += cents(f.Value)
		}
	}
	o.Total = money(t)
}

// complete fills ids, secrets, URLs and defaults of a new or changed order;
// the caller holds s.mu. In positions, AddonTo may name the parent's
// positionid (as pretix's create API does) and is rewritten to the parent's
// internal id, which is what the API returns.
func (s *Server) complete(org string, e *event, o *Order, seq int64) {
	if o.Code == "" {
		o.Code = orderCode(seq)
	}
	o.Event = e.Slug
	if o.Secret == "" {
		o.Secret = secretFor("order", seq, 16)
	}
	o.URL = fmt.Sprintf("%s/%s/%s/order/%s/%s/", s.opts.PublicURL, org, e.Slug, o.Code, o.Secret)
	if o.Status == "" {
		o.Status = StatusPending
	}
	if o.Locale == "" {
		o.Locale = e.settings.Locale
	}
	if o.SalesChannel == "" {
		o.SalesChannel = "web"
	}
	if o.TaxRoundingMode == "" {
		o.TaxRoundingMode = "line"
	}
	if time.Time(o.Expires).IsZero() {
		o.Expires = Time(time.Time(o.Datetime).Add(14 * 24 * time.Hour))
	}
	if o.APIMeta == nil {
		o.APIMeta = map[string]any{}
	}
	if o.PluginData == nil {
		o.PluginData = map[string]any{}
	}
	for _, sl := range []*[]Download{&o.Downloads} {
		if *sl == nil {
			*sl = []Download{}
		}
	}
	if o.Fees == nil {
		o.Fees = []Fee{}
	}
	if o.Payments == nil {
		o.Payments = []Payment{}
	}
	if o.Refunds == nil {
		o.Refunds = []Refund{}
	}
	byPositionID := map[int]int64{}
	for i := range o.Positions {
		p := &o.Positions[i]
		if p.ID == 0 {
			p.ID = s.newID()
			if p.PositionID == 0 {
				p.PositionID = maxPositionID(o.Positions) + 1
			}
			if p.AddonTo != nil {
				if parent, ok := byPositionID[int(*p.AddonTo)]; ok {
					p.AddonTo = Int(parent)
				}
			}
		}
		byPositionID[p.PositionID] = p.ID
		p.Order = o.Code
		if p.Secret == "" {
			p.Secret = secretFor("position", p.ID, 32)
		}
		if p.PseudonymizationID == "" {
			p.PseudonymizationID = strings.ToUpper(secretFor("pseudo", p.ID, 10))
		}
		if p.AttendeeNameParts == nil {
			p.AttendeeNameParts = map[string]string{}
		}
		if p.Price == "" {
			p.Price = "0.00"
		}
		if p.TaxRate == "" {
			p.TaxRate, p.TaxValue = "0.00", "0.00"
		}
		if p.Checkins == nil {
			p.Checkins = []Checkin{}
		}
		if p.PrintLogs == nil {
			p.PrintLogs = []map[string]any{}
		}
		if p.Answers == nil {
			p.Answers = []Answer{}
		}
		for j := range p.Answers {
			if p.Answers[j].Options == nil {
				p.Answers[j].Options = []int64{}
			}
			if p.Answers[j].OptionIdentifiers == nil {
				p.Answers[j].OptionIdentifiers = []string{}
			}
		}
		if p.PluginData == nil {
			p.PluginData = map[string]any{}
		}
		p.Downloads = []Download{}
		if o.Status == StatusPaid && !p.Canceled && e.itemAdmission(p.Item) {
			p.Downloads = []Download{{Output: "pdf", URL: fmt.Sprintf("%s/api/v1/organizers/%s/events/%s/orderpositions/%d/download/pdf/", s.opts.PublicURL, org, e.Slug, p.ID)}}
		}
	}
	for i := range o.Fees {
		if o.Fees[i].ID == 0 {
			o.Fees[i].ID = s.newID()
		}
		if o.Fees[i].TaxRate == "" {
			o.Fees[i].TaxRate, o.Fees[i].TaxValue = "0.00", "0.00"
		}
	}
	for i := range o.Payments {
		if o.Payments[i].LocalID == 0 {
			o.Payments[i].LocalID = i + 1
		}
		if o.Payments[i].Details == nil {
			o.Payments[i].Details = map[string]any{}
		}
	}
	for i := range o.Refunds {
		if o.Refunds[i].LocalID == 0 {
			o.Refunds[i].LocalID = i + 1
		}
		if o.Refunds[i].Details == nil {
			o.Refunds[i].Details = map[string]any{}
		}
	}
	if o.Status == StatusPaid {
		o.Downloads = []Download{{Output: "pdf", URL: fmt.Sprintf("%s/api/v1/organizers/%s/events/%s/orders/%s/download/pdf/", s.opts.PublicURL, org, e.Slug, o.Code)}}
	} else {
		o.Downloads = []Download{}
	}
	recomputeTotal(o)
}

func maxPositionID(ps []Position) int {
	m := 0
	for _, p := range ps {
		m = max(m, p.PositionID)
	}
	return m
}

func (e *event) itemAdmission(id int64) bool {
	for _, it := range e.items {
		if it.ID == id {
			return it.Admission
		}
	}
	return false
}

// insert stores a completed order; the caller holds s.mu.
func (s *Server) insert(o *organizer, e *event, ord Order, seq int64) (*storedOrder, error) {
	if _, dup := e.orders[ord.Code]; dup {
		return nil, fmt.Errorf("pretixfake: order %s already exists in %s", ord.Code, e.Slug)
	}
	so := &storedOrder{seq: seq, Order: ord}
	e.orders[ord.Code] = so
	o.insertOrder(so)
	return so, nil
}

// PlaceOrder stores a new order as if a customer had just bought it: its
// datetime and last_modified are the clock's now unless set, ids, code,
// secrets and total are filled in, and webhooks get
// pretix.event.order.placed (or .placed.require_approval). In positions,
// AddonTo names the parent's positionid.
func (s *Server) PlaceOrder(org, ev string, ord Order) (Order, error) {
	s.mu.Lock()
	o, e, err := s.eventFor(org, ev)
	if err != nil {
		s.mu.Unlock()
		return ord, err
	}
	now := s.clock.Now().UTC()
	if time.Time(ord.Datetime).IsZero() {
		ord.Datetime = Time(now)
	}
	if time.Time(ord.LastModified).IsZero() {
		ord.LastModified = Time(now)
	}
	s.nextSeq++
	s.complete(org, e, &ord, s.nextSeq)
	if ord.InvoiceAddress != nil && time.Time(ord.InvoiceAddress.LastModified).IsZero() {
		ord.InvoiceAddress.LastModified = ord.Datetime
	}
	if _, err := s.insert(o, e, ord, s.nextSeq); err != nil {
		s.mu.Unlock()
		return ord, err
	}
	out := cloneOrder(ord)
	s.mu.Unlock()
	action := "pretix.event.order.placed"
	if ord.RequireApproval {
		action = "pretix.event.order.placed.require_approval"
	}
	s.hooks.notify(org, ev, ord.Code, action)
	return out, nil
}

// ModifyOrder changes an order at run time: fn edits it, then ids for new
// positions and the total are filled in, last_modified becomes the clock's
// now and webhooks get action (default pretix.event.order.modified;
// NoWebhook for none). fn
// runs under the emulator's lock and must not call the Server.
func (s *Server) ModifyOrder(org, ev, code, action string, fn func(o *Order)) (Order, error) {
	s.mu.Lock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		s.mu.Unlock()
		return Order{}, err
	}
	so := e.orders[code]
	if so == nil {
		s.mu.Unlock()
		return Order{}, errUnknown("order", code)
	}
	fn(&so.Order)
	so.Code, so.Event = code, ev
	s.complete(org, e, &so.Order, so.seq)
	now := s.clock.Now().UTC()
	so.LastModified = Time(now)
	out := cloneOrder(so.Order)
	s.mu.Unlock()
	switch action {
	case "":
		s.hooks.notify(org, ev, code, "pretix.event.order.modified")
	case NoWebhook:
	default:
		s.hooks.notify(org, ev, code, action)
	}
	return out, nil
}

// NoWebhook as ModifyOrder's action changes the order without telling any
// webhook, as when a webhook is missing or lost: only a pull or a fresh read
// sees the change.
const NoWebhook = "-"

// CancelOrder cancels an order (status c, cancellation_date now, open
// payments canceled) and notifies pretix.event.order.canceled.
func (s *Server) CancelOrder(org, ev, code string) (Order, error) {
	return s.ModifyOrder(org, ev, code, "pretix.event.order.canceled", func(o *Order) {
		now := s.clock.Now().UTC()
		o.Status = StatusCanceled
		o.CancellationDate = TP(now)
		for i := range o.Payments {
			if st := o.Payments[i].State; st == "created" || st == "pending" {
				o.Payments[i].State = "canceled"
			}
		}
	})
}

// MarkPaid confirms a payment over the order total (reusing an open one)
// and marks the order paid; webhooks get pretix.event.order.payment.confirmed
// and pretix.event.order.paid, as pretix logs both.
func (s *Server) MarkPaid(org, ev, code string) (Order, error) {
	out, err := s.ModifyOrder(org, ev, code, "pretix.event.order.payment.confirmed", func(o *Order) {
		now := s.clock.Now().UTC()
		o.Status = StatusPaid
		for i := range o.Payments {
			if st := o.Payments[i].State; st == "created" || st == "pending" {
				o.Payments[i].State = "confirmed"
				o.Payments[i].PaymentDate = TP(now)
				return
			}
		}
		provider := "banktransfer"
		o.Payments = append(o.Payments, Payment{State: "confirmed", Amount: o.Total, Created: Time(now), PaymentDate: TP(now), Provider: provider})
		o.PaymentProvider = &provider
		d := now.Format("2006-01-02")
		o.PaymentDate = &d
	})
	if err != nil {
		return out, err
	}
	s.hooks.notify(org, ev, code, "pretix.event.order.paid")
	return out, nil
}

// DeleteOrder deletes a test-mode order (pretix refuses others) and notifies
// pretix.event.order.deleted.
func (s *Server) DeleteOrder(org, ev, code string) error {
	s.mu.Lock()
	o, e, err := s.eventFor(org, ev)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	so := e.orders[code]
	if so == nil {
		s.mu.Unlock()
		return errUnknown("order", code)
	}
	if !so.Testmode {
		s.mu.Unlock()
		return fmt.Errorf("pretixfake: only test-mode orders can be deleted")
	}
	delete(e.orders, code)
	for i, x := range o.orders {
		if x == so {
			o.orders = append(o.orders[:i], o.orders[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	s.hooks.notify(org, ev, code, "pretix.event.order.deleted")
	return nil
}

// Order returns a copy of a stored order (with canceled positions).
func (s *Server) Order(org, ev, code string) (Order, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return Order{}, false
	}
	so := e.orders[code]
	if so == nil {
		return Order{}, false
	}
	return cloneOrder(so.Order), true
}

// OrderRef names one order.
type OrderRef struct {
	Event, Code string
}

// Orders lists the organizer's orders in creation order.
func (s *Server) Orders(org string) []OrderRef {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.orgs[org]
	if o == nil {
		return nil
	}
	out := make([]OrderRef, len(o.orders))
	for i, so := range o.orders {
		out[i] = OrderRef{Event: so.Event, Code: so.Code}
	}
	return out
}

func cloneOrder(o Order) Order {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	var out Order
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// Scan checks a ticket in (an entry scan on the event's first check-in
// list) at time at, as a scanning app would, and notifies
// pretix.event.checkin with the position. The order's last_modified moves
// too: the pull then sees the scan without a webhook.
func (s *Server) Scan(org, ev, code string, positionID int64, at time.Time) (Order, error) {
	var found, first bool
	var posNo int
	var list int64 = 1
	s.mu.Lock()
	if _, e, err := s.eventFor(org, ev); err == nil && len(e.checkinLists) > 0 {
		list = e.checkinLists[0].ID
	}
	s.mu.Unlock()
	out, err := s.ModifyOrder(org, ev, code, NoWebhook, func(o *Order) {
		for i := range o.Positions {
			p := &o.Positions[i]
			if p.ID != positionID {
				continue
			}
			found, posNo = true, p.PositionID
			first = len(p.Checkins) == 0
			p.Checkins = append(p.Checkins, Checkin{ID: s.newIDLocked(), List: list, Datetime: Time(at.UTC()), Type: "entry"})
		}
	})
	if err != nil {
		return out, err
	}
	if !found {
		return out, errUnknown("order position", strconv.FormatInt(positionID, 10))
	}
	s.hooks.notifyPayload(WebhookPayload{Organizer: org, Event: ev, Code: code, Action: "pretix.event.checkin",
		OrderPositionID: positionID, OrderPositionPositionID: posNo, CheckinList: list, Type: "entry", FirstCheckin: &first})
	return out, nil
}
