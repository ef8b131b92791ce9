package pretix

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Order list paging limits.
const (
	DefaultOrderPageSize = 50
	MaxOrderPageSize     = 200
)

// OrderListQuery selects a page of stored orders, newest first.
type OrderListQuery struct {
	OrganizerID int64
	EventID     int64    // 0 lists every event of the organizer
	Search      string   // words matched in code, e-mails, names, company, phone
	Status      []string // any of "n", "p", "e", "c"; empty means all
	Page        int      // 1-based; 0 means 1
	PageSize    int      // 0 means DefaultOrderPageSize; at most MaxOrderPageSize
}

// OrderSummary is one row of the orders list.
type OrderSummary struct {
	ID              int64     `json:"id"`
	EventID         int64     `json:"event_id"`
	EventSlug       string    `json:"event"`
	Code            string    `json:"code"`
	Status          string    `json:"status"`
	StatusLabel     string    `json:"status_label"`
	RequireApproval bool      `json:"require_approval"`
	Testmode        bool      `json:"testmode"`
	Email           string    `json:"email"`
	Name            string    `json:"name"`
	Datetime        time.Time `json:"datetime"`
	LastModified    time.Time `json:"last_modified"`
	Total           string    `json:"total"`
	Currency        string    `json:"currency"`
	Positions       int       `json:"positions"`
}

// OrderList is a page of orders and the number of all matching ones.
type OrderList struct {
	Orders   []OrderSummary `json:"orders"`
	Total    int            `json:"total"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
}

var validStatus = map[string]bool{"n": true, "p": true, "e": true, "c": true}

// ListOrders returns a page of stored orders, newest first, in two indexed
// queries (count and page) whatever the page size.
func (s *Service) ListOrders(ctx context.Context, q OrderListQuery) (*OrderList, error) {
	if q.Page < 0 {
		return nil, apperr.Invalid("orders_page_invalid", "The page number must be 1 or more.").WithField("page", "1 or more.")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	switch {
	case q.PageSize < 0 || q.PageSize > MaxOrderPageSize:
		return nil, apperr.Invalid("orders_page_size_invalid", "The page size must be between 1 and 200.").WithField("page_size", "Between 1 and 200.")
	case q.PageSize == 0:
		q.PageSize = DefaultOrderPageSize
	}
	db := s.db.WithContext(ctx)
	// Filter by event alone when one is given (after checking it belongs to
	// the organizer): the list indexes start with event_id, and an extra
	// organizer condition would make SQLite read every row.
	where := []string{"o.organizer_id = ?"}
	args := []any{q.OrganizerID}
	if q.EventID != 0 {
		var owner int64
		if err := db.Raw(`SELECT organizer_id FROM pretix_events WHERE id = ?`, q.EventID).Scan(&owner).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		if owner != q.OrganizerID {
			return nil, apperr.NotFound("event_not_found", "This event does not belong to this pretix connection.")
		}
		where, args = []string{"o.event_id = ?"}, []any{q.EventID}
	}
	if len(q.Status) > 0 {
		ph := make([]string, len(q.Status))
		for i, st := range q.Status {
			if !validStatus[st] {
				return nil, apperr.Invalid("orders_status_invalid", "Unknown order status \u201c"+st+"\u201d; use n (pending), p (paid), e (expired) or c (canceled).").
					WithField("status", "Use n, p, e or c.")
			}
			ph[i] = "?"
			args = append(args, st)
		}
		where = append(where, "o.status IN ("+strings.Join(ph, ",")+")")
	}
	// search_text is lower-cased at ingest; instr is a plain substring
	// test, several times faster than LIKE and free of wildcards.
	for _, w := range strings.Fields(strings.ToLower(q.Search)) {
		where = append(where, `instr(o.search_text, ?) > 0`)
		args = append(args, w)
	}
	cond := strings.Join(where, " AND ")
	out := &OrderList{Orders: []OrderSummary{}, Page: q.Page, PageSize: q.PageSize}
	ids, total, err := s.pageIDs(ctx, cond, args, q)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out.Total = total
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.Raw(`SELECT o.id, o.event_id, o.event_slug, o.code, o.status, o.require_approval, o.testmode, o.email,
		o.display_name, o.datetime, o.last_modified, o.total, e.currency, o.position_count
		FROM pretix_orders o JOIN pretix_events e ON e.id = o.event_id
		WHERE o.id IN ?`, ids).Rows()
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	byID := make(map[int64]OrderSummary, len(ids))
	for rows.Next() {
		var o OrderSummary
		if err := rows.Scan(&o.ID, &o.EventID, &o.EventSlug, &o.Code, &o.Status, &o.RequireApproval, &o.Testmode, &o.Email,
			&o.Name, &o.Datetime, &o.LastModified, &o.Total, &o.Currency, &o.Positions); err != nil {
			return nil, apperr.Internal(err)
		}
		o.StatusLabel = StatusLabel(o.Status, o.RequireApproval)
		byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	for _, id := range ids {
		if o, ok := byID[id]; ok {
			out.Orders = append(out.Orders, o)
		}
	}
	return out, nil
}

// pageIDs returns the ids of the requested page and the number of matching
// orders, reading only the list indexes (an OFFSET over full rows would read
// every skipped row). Without a search, a count over the narrow status index
// plus a short index walk is cheapest; with one, matches are usually few
// and a single scan that counts with a window function halves the work.
func (s *Service) pageIDs(ctx context.Context, cond string, args []any, q OrderListQuery) ([]int64, int, error) {
	db := s.db.WithContext(ctx)
	limit := append(append([]any(nil), args...), q.PageSize, (q.Page-1)*q.PageSize)
	order := ` ORDER BY o.datetime DESC, o.id DESC LIMIT ? OFFSET ?`
	if strings.TrimSpace(q.Search) == "" {
		var total int64
		if err := db.Raw(`SELECT COUNT(*) FROM pretix_orders o WHERE `+cond, args...).Scan(&total).Error; err != nil {
			return nil, 0, err
		}
		var ids []int64
		if err := db.Raw(`SELECT o.id FROM pretix_orders o WHERE `+cond+order, limit...).Scan(&ids).Error; err != nil {
			return nil, 0, err
		}
		return ids, int(total), nil
	}
	var page []struct {
		ID    int64
		Total int
	}
	if err := db.Raw(`SELECT o.id AS id, COUNT(*) OVER () AS total FROM pretix_orders o WHERE `+cond+order, limit...).Scan(&page).Error; err != nil {
		return nil, 0, err
	}
	if len(page) == 0 {
		if q.Page == 1 {
			return nil, 0, nil
		}
		// Past the end the window sees no row; count on its own.
		var total int64
		err := db.Raw(`SELECT COUNT(*) FROM pretix_orders o WHERE `+cond, args...).Scan(&total).Error
		return nil, int(total), err
	}
	ids := make([]int64, len(page))
	for i, p := range page {
		ids[i] = p.ID
	}
	return ids, page[0].Total, nil
}

// EventRef names an order's event.
type EventRef struct {
	ID       int64  `json:"id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"` // in the event's first language
	Currency string `json:"currency"`
	Timezone string `json:"timezone"`
}

// OrderDetail is everything the order page shows. Order and ticket secrets
// (and the order URL, which contains one) are left out.
type OrderDetail struct {
	OrderSummary
	OrganizerID      int64           `json:"organizer_id"`
	Event            EventRef        `json:"event_ref"`
	Phone            string          `json:"phone"`
	Locale           string          `json:"locale"`
	CancellationDate *time.Time      `json:"cancellation_date"`
	InvoiceAddress   *InvoiceAddress `json:"invoice_address"`
	Positions        []PositionView  `json:"positions"`
	Fees             []Fee           `json:"fees"`
	Payments         []Payment       `json:"payments"`
	Refunds          []Refund        `json:"refunds"`
	Log              []LogEntry      `json:"log"`
}

// PositionView is a position with its product and question texts.
type PositionView struct {
	ID                int64             `json:"id"` // pretix's internal position id
	PositionID        int               `json:"positionid"`
	Item              int64             `json:"item"`
	ItemName          string            `json:"item_name"`
	Variation         *int64            `json:"variation"`
	VariationName     string            `json:"variation_name"`
	Subevent          *int64            `json:"subevent"`
	Price             string            `json:"price"`
	Canceled          bool              `json:"canceled"`
	AttendeeName      string            `json:"attendee_name"`
	AttendeeNameParts map[string]string `json:"attendee_name_parts"`
	AttendeeEmail     string            `json:"attendee_email"`
	Company           string            `json:"company"`
	City              string            `json:"city"`
	Country           string            `json:"country"`
	AddonTo           *int64            `json:"addon_to"`
	AddonToPosition   int               `json:"addon_to_positionid"` // the parent's positionid, 0 for none
	Answers           []AnswerView      `json:"answers"`
	Checkins          []Checkin         `json:"checkins"`
}

// AnswerView is an answer with its question's text and type.
type AnswerView struct {
	QuestionID        int64    `json:"question_id"`
	Identifier        string   `json:"identifier"`
	Question          string   `json:"question"`
	Type              string   `json:"type"`
	Answer            string   `json:"answer"`
	OptionIdentifiers []string `json:"option_identifiers"`
}

// LogEntry is one order history entry.
type LogEntry struct {
	ID      int64           `json:"id"`
	Time    time.Time       `json:"time"`
	Kind    string          `json:"kind"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// GetOrder returns a stored order with positions, answers (with question
// texts), payments, invoice address and history.
func (s *Service) GetOrder(ctx context.Context, orderID int64) (*OrderDetail, error) {
	db := s.db.WithContext(ctx)
	var o models.PretixOrder
	if err := db.First(&o, orderID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, apperr.NotFound("order_not_found", "This order is not stored (any more).")
		}
		return nil, apperr.Internal(err)
	}
	var ev models.PretixEvent
	if err := db.First(&ev, o.EventID).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	var full Order
	if err := json.Unmarshal([]byte(o.RawJSON), &full); err != nil {
		return nil, apperr.Internal(err)
	}
	var locales []string
	json.Unmarshal([]byte(ev.LocalesJSON), &locales)
	var name LocalizedText
	json.Unmarshal([]byte(ev.NameJSON), &name)
	var items []Item
	json.Unmarshal([]byte(ev.ItemsJSON), &items)
	var questions []Question
	json.Unmarshal([]byte(ev.QuestionsJSON), &questions)

	d := &OrderDetail{
		OrderSummary: OrderSummary{ID: o.ID, EventID: o.EventID, EventSlug: o.EventSlug, Code: o.Code, Status: o.Status,
			StatusLabel: StatusLabel(o.Status, o.RequireApproval), RequireApproval: o.RequireApproval, Testmode: o.Testmode, Email: o.Email,
			Name: o.DisplayName, Datetime: o.Datetime, LastModified: o.LastModified, Total: o.Total, Currency: ev.Currency, Positions: o.PositionCount},
		OrganizerID: o.OrganizerID,
		Event:       EventRef{ID: ev.ID, Slug: ev.Slug, Name: name.In(locales...), Currency: ev.Currency, Timezone: ev.Timezone},
		Phone:       full.Phone, Locale: full.Locale, CancellationDate: full.CancellationDate, InvoiceAddress: full.InvoiceAddress,
		Fees: nonNilSlice(full.Fees), Payments: nonNilSlice(full.Payments), Refunds: nonNilSlice(full.Refunds),
	}
	itemNames := map[int64]string{}
	varNames := map[int64]string{}
	for _, it := range items {
		itemNames[it.ID] = it.Name.In(locales...)
		for _, v := range it.Variations {
			varNames[v.ID] = v.Value.In(locales...)
		}
	}
	qByID := map[int64]Question{}
	for _, q := range questions {
		qByID[q.ID] = q
	}
	byID := map[int64]int{}
	for _, p := range full.Positions {
		byID[p.ID] = p.PositionID
	}
	d.Positions = make([]PositionView, 0, len(full.Positions))
	for _, p := range full.Positions {
		pv := PositionView{ID: p.ID, PositionID: p.PositionID, Item: p.Item, ItemName: itemNames[p.Item], Variation: p.Variation,
			Subevent: p.Subevent, Price: p.Price, Canceled: p.Canceled, AttendeeName: p.AttendeeName, AttendeeNameParts: p.AttendeeNameParts,
			AttendeeEmail: p.AttendeeEmail, Company: p.Company, City: p.City, Country: p.Country, AddonTo: p.AddonTo,
			Answers: make([]AnswerView, 0, len(p.Answers)), Checkins: nonNilSlice(p.Checkins)}
		if p.Variation != nil {
			pv.VariationName = varNames[*p.Variation]
		}
		if p.AddonTo != nil {
			pv.AddonToPosition = byID[*p.AddonTo]
		}
		for _, a := range p.Answers {
			q := qByID[a.Question]
			pv.Answers = append(pv.Answers, AnswerView{QuestionID: a.Question, Identifier: a.QuestionIdentifier, Question: q.Question.In(locales...),
				Type: q.Type, Answer: a.Answer, OptionIdentifiers: nonNilSlice(a.OptionIdentifiers)})
		}
		d.Positions = append(d.Positions, pv)
	}
	var logs []models.OrderLog
	if err := db.Where("order_id = ?", o.ID).Order("time, id").Find(&logs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	d.Log = make([]LogEntry, len(logs))
	for i, l := range logs {
		data := json.RawMessage(l.DataJSON)
		if !json.Valid(data) {
			data = json.RawMessage("{}")
		}
		d.Log[i] = LogEntry{ID: l.ID, Time: l.Time, Kind: l.Kind, Message: l.Message, Data: data}
	}
	return d, nil
}

// FindOrder returns the stored order id for (organizer, event, code).
func (s *Service) FindOrder(ctx context.Context, organizerID int64, event, code string) (int64, error) {
	var id int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM pretix_orders WHERE organizer_id = ? AND event_slug = ? AND code = ?`, organizerID, event, code).Row().Scan(&id)
	if err != nil {
		return 0, apperr.NotFound("order_not_found", "This order is not stored (yet); it appears after the next pull.").Wrap(err)
	}
	return id, nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// EventView is a stored event for the UI.
type EventView struct {
	ID             int64         `json:"id"`
	OrganizerID    int64         `json:"organizer_id"`
	Slug           string        `json:"slug"`
	Name           LocalizedText `json:"name"`
	DateFrom       *time.Time    `json:"date_from"`
	DateTo         *time.Time    `json:"date_to"`
	Currency       string        `json:"currency"`
	Timezone       string        `json:"timezone"`
	HasSubevents   bool          `json:"has_subevents"`
	Live           bool          `json:"live"`
	InPretix       bool          `json:"in_pretix"`
	NameScheme     string        `json:"name_scheme"`
	Locales        []string      `json:"locales"`
	SettingsSource string        `json:"settings_source"`
	RefreshedAt    *time.Time    `json:"refreshed_at"`
	CatalogueError string        `json:"catalogue_error,omitempty"`
	Orders         int           `json:"orders"`
}

// ListEvents returns the organizer's stored events (latest first) with
// order counts.
func (s *Service) ListEvents(ctx context.Context, organizerID int64) ([]EventView, error) {
	var evs []models.PretixEvent
	db := s.db.WithContext(ctx)
	if err := db.Where("organizer_id = ?", organizerID).Order("date_from DESC, id").Find(&evs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	counts := map[int64]int{}
	rows, err := db.Raw(`SELECT event_id, COUNT(*) FROM pretix_orders WHERE organizer_id = ? GROUP BY event_id`, organizerID).Rows()
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		counts[id] = n
	}
	rows.Close()
	out := make([]EventView, len(evs))
	for i := range evs {
		out[i] = eventView(&evs[i], counts[evs[i].ID])
	}
	return out, nil
}

// OrderCounts counts an event's stored orders by status (n, p, e, c) in one
// pass over the (event, status) index.
func (s *Service) OrderCounts(ctx context.Context, eventID int64) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Select("status, COUNT(*) AS n").
		Where("event_id = ?", eventID).Group("status").Scan(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := map[string]int{"n": 0, "p": 0, "e": 0, "c": 0}
	for _, r := range rows {
		out[r.Status] += r.N
	}
	return out, nil
}

// EventView describes one stored event, counting only its own orders (the
// event pages ask for it on every visit; ListEvents counts the organizer's).
func (s *Service) EventView(ctx context.Context, e *models.PretixEvent) (*EventView, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("event_id = ?", e.ID).Count(&n).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	v := eventView(e, int(n))
	return &v, nil
}

func eventView(e *models.PretixEvent, orders int) EventView {
	v := EventView{ID: e.ID, OrganizerID: e.OrganizerID, Slug: e.Slug, DateFrom: e.DateFrom, DateTo: e.DateTo, Currency: e.Currency,
		Timezone: e.Timezone, HasSubevents: e.HasSubevents, Live: e.Live, InPretix: e.InPretix, NameScheme: e.NameScheme,
		SettingsSource: e.SettingsSource, RefreshedAt: e.RefreshedAt, CatalogueError: e.CatalogueError, Orders: orders}
	json.Unmarshal([]byte(e.NameJSON), &v.Name)
	json.Unmarshal([]byte(e.LocalesJSON), &v.Locales)
	if v.Locales == nil {
		v.Locales = []string{}
	}
	return v
}

// RefreshEvent fetches one event's catalogue now.
func (s *Service) RefreshEvent(ctx context.Context, organizerID int64, slug string) error {
	org, err := s.load(ctx, organizerID)
	if err != nil {
		return err
	}
	var ev models.PretixEvent
	if err := s.db.WithContext(ctx).Where("organizer_id = ? AND slug = ?", organizerID, slug).First(&ev).Error; err != nil {
		return apperr.NotFound("event_not_found", "This event is not stored; pull the organizer first.")
	}
	c, err := s.clientFor(org)
	if err != nil {
		return err
	}
	return RefreshCatalogue(ctx, s.db, c, &ev, s.clock.Now())
}
