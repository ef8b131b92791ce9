package pretixwire

import (
	"encoding/json"
	"time"
)

// Organizer is a pretix organizer.
type Organizer struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Event is a pretix event. Raw, where set, is the object as pretix sent it.
type Event struct {
	Slug         string          `json:"slug"`
	Name         LocalizedText   `json:"name"`
	Live         bool            `json:"live"`
	Testmode     bool            `json:"testmode"`
	Currency     string          `json:"currency"`
	DateFrom     *time.Time      `json:"date_from"`
	DateTo       *time.Time      `json:"date_to"`
	HasSubevents bool            `json:"has_subevents"`
	Timezone     string          `json:"timezone"`
	Raw          json.RawMessage `json:"-"`
}

// EventSettings are the event settings the app needs. Reading them needs a
// permission the token may lack.
type EventSettings struct {
	Locales           []string        `json:"locales"`
	Locale            string          `json:"locale"`
	NameScheme        string          `json:"name_scheme"`
	InvoiceNameScheme string          `json:"invoice_name_scheme"`
	Timezone          string          `json:"timezone"`
	Raw               json.RawMessage `json:"-"`
}

// Item is a product, its variations embedded.
type Item struct {
	ID           int64           `json:"id"`
	Name         LocalizedText   `json:"name"`
	InternalName string          `json:"internal_name"`
	Category     *int64          `json:"category"`
	Admission    bool            `json:"admission"`
	Variations   []Variation     `json:"variations"`
	Raw          json.RawMessage `json:"-"`
}

// Variation is a product variation (e.g. "Student").
type Variation struct {
	ID    int64         `json:"id"`
	Value LocalizedText `json:"value"`
}

// Category is a product category.
type Category struct {
	ID      int64           `json:"id"`
	Name    LocalizedText   `json:"name"`
	IsAddon bool            `json:"is_addon"`
	Raw     json.RawMessage `json:"-"`
}

// Question is a question (custom checkout field), its options embedded.
// Type is pretix's type code ("S", "C", "M", …).
type Question struct {
	ID               int64            `json:"id"`
	Identifier       string           `json:"identifier"`
	Question         LocalizedText    `json:"question"`
	Type             string           `json:"type"`
	Position         int              `json:"position"`
	AskDuringCheckin bool             `json:"ask_during_checkin"`
	Hidden           bool             `json:"hidden"`
	Options          []QuestionOption `json:"options"`
	Raw              json.RawMessage  `json:"-"`
}

// QuestionOption is one answer option of a choice question.
type QuestionOption struct {
	ID         int64         `json:"id"`
	Identifier string        `json:"identifier"`
	Answer     LocalizedText `json:"answer"`
	Position   int           `json:"position"`
}

// CheckinList is a check-in list.
type CheckinList struct {
	ID   int64           `json:"id"`
	Name string          `json:"name"`
	Raw  json.RawMessage `json:"-"`
}

// SubEvent is one date of an event series; unset dates are zero.
type SubEvent struct {
	ID       int64         `json:"id"`
	Name     LocalizedText `json:"name"`
	DateFrom time.Time     `json:"date_from"`
	DateTo   time.Time     `json:"date_to"`
	// Active is false for a date taken out of sale (how pretix shows a
	// cancelled date); nil when the server did not say.
	Active *bool           `json:"active"`
	Raw    json.RawMessage `json:"-"`
}

// Voucher is the part of a voucher an order's export needs.
type Voucher struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
}
