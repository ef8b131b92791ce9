package pretix

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

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
	OrganizerID      int64                      `json:"organizer_id"`
	Event            EventRef                   `json:"event_ref"`
	Phone            string                     `json:"phone"`
	Locale           string                     `json:"locale"`
	CancellationDate *time.Time                 `json:"cancellation_date"`
	InvoiceAddress   *pretixwire.InvoiceAddress `json:"invoice_address"`
	Positions        []PositionView             `json:"positions"`
	Fees             []pretixwire.Fee           `json:"fees"`
	Payments         []pretixwire.Payment       `json:"payments"`
	Refunds          []pretixwire.Refund        `json:"refunds"`
	Log              []LogEntry                 `json:"log"`
}

// PositionView is a position with its product and question texts.
type PositionView struct {
	ID                int64                `json:"id"` // pretix's internal position id
	PositionID        int                  `json:"positionid"`
	Item              int64                `json:"item"`
	ItemName          string               `json:"item_name"`
	Variation         *int64               `json:"variation"`
	VariationName     string               `json:"variation_name"`
	Subevent          *int64               `json:"subevent"`
	Price             string               `json:"price"`
	Canceled          bool                 `json:"canceled"`
	AttendeeName      string               `json:"attendee_name"`
	AttendeeNameParts map[string]string    `json:"attendee_name_parts"`
	AttendeeEmail     string               `json:"attendee_email"`
	Company           string               `json:"company"`
	City              string               `json:"city"`
	Country           string               `json:"country"`
	AddonTo           *int64               `json:"addon_to"`
	AddonToPosition   int                  `json:"addon_to_positionid"` // the parent's positionid, 0 for none
	Answers           []AnswerView         `json:"answers"`
	Checkins          []pretixwire.Checkin `json:"checkins"`
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
	full, err := pretixwire.DecodeOrder([]byte(o.RawJSON))
	if err != nil {
		return nil, err
	}
	var (
		locales  []string
		settings pretixwire.EventSettings
		name     pretixwire.LocalizedText
	)
	for _, c := range []struct {
		col, what string
		out       any
	}{
		{ev.LocalesJSON, "event languages", &locales}, {ev.SettingsJSON, "event settings", &settings}, {ev.NameJSON, "event name", &name},
	} {
		if err := pretixwire.DecodeObject([]byte(c.col), c.what, c.out); err != nil {
			return nil, err
		}
	}
	items, err := pretixwire.DecodeList[pretixwire.Item]([]byte(ev.ItemsJSON), "products")
	if err != nil {
		return nil, err
	}
	questions, err := pretixwire.DecodeList[pretixwire.Question]([]byte(ev.QuestionsJSON), "questions")
	if err != nil {
		return nil, err
	}
	lang := pretixwire.PrimaryLocale(settings.Locale, locales)

	d := &OrderDetail{
		OrderSummary: OrderSummary{ID: o.ID, EventID: o.EventID, EventSlug: o.EventSlug, Code: o.Code, Status: o.Status,
			StatusLabel: StatusLabel(o.Status, o.RequireApproval), RequireApproval: o.RequireApproval, Testmode: o.Testmode, Email: o.Email,
			Name: o.DisplayName, Datetime: o.Datetime, LastModified: o.LastModified, Total: o.Total, Currency: ev.Currency, Positions: o.PositionCount},
		OrganizerID: o.OrganizerID,
		Event:       EventRef{ID: ev.ID, Slug: ev.Slug, Name: name.Display(lang), Currency: ev.Currency, Timezone: ev.Timezone},
		Phone:       full.Phone, Locale: full.Locale, CancellationDate: full.CancellationDate, InvoiceAddress: full.InvoiceAddress,
		Fees: nonNilSlice(full.Fees), Payments: nonNilSlice(full.Payments), Refunds: nonNilSlice(full.Refunds),
	}
	itemNames := map[int64]string{}
	varNames := map[int64]string{}
	for _, it := range items {
		itemNames[it.ID] = it.Name.Display(lang)
		for _, v := range it.Variations {
			varNames[v.ID] = v.Value.Display(lang)
		}
	}
	qByID := map[int64]pretixwire.Question{}
	for _, q := range questions {
		qByID[q.ID] = q
	}
	byID := map[int64]int{}
	for _, p := range full.Positions {
		byID[p.ID] = p.PositionID
	}
	d.Positions = make([]PositionView, 0, len(full.Positions))
	for _, p := range full.Positions {
		pv := PositionView{ID: p.ID, PositionID: p.PositionID, Item: p.Item, ItemName: itemNames[p.Item], Variation: optionalID(p.Variation),
			VariationName: varNames[p.Variation], Subevent: optionalID(p.Subevent), Price: p.Price, Canceled: p.Canceled,
			AttendeeName: p.AttendeeName, AttendeeNameParts: p.AttendeeNameParts, AttendeeEmail: p.AttendeeEmail, Company: p.Company,
			City: p.City, Country: p.Country, AddonTo: optionalID(p.AddonTo), AddonToPosition: byID[p.AddonTo],
			Answers: make([]AnswerView, 0, len(p.Answers)), Checkins: nonNilSlice(p.Checkins)}
		for _, a := range p.Answers {
			q := qByID[a.Question]
			pv.Answers = append(pv.Answers, AnswerView{QuestionID: a.Question, Identifier: a.QuestionIdentifier, Question: q.Question.Display(lang),
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
		data := json.RawMessage(pretixwire.DisplayEmails(l.DataJSON)) // people read the links
		if !json.Valid(data) {
			data = json.RawMessage("{}")
		}
		d.Log[i] = LogEntry{ID: l.ID, Time: l.Time, Kind: l.Kind, Message: pretixwire.DisplayEmails(l.Message), Data: data}
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

// optionalID turns pretix's 0-for-null id back into null for the UI.
func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
