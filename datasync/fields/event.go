package fields

import "time"

// EventInfo is everything the catalogue and the resolver need to know about
// one pretix event. Build it with EventInfoFromJSON from stored API JSON, or
// fill it directly in tests.
type EventInfo struct {
	Slug         string
	Name         I18n
	DateFrom     time.Time // zero when unset; meaningless for event series
	DateTo       time.Time // zero when unset
	Currency     string
	Timezone     string // IANA name, e.g. "Europe/Berlin"
	HasSubevents bool
	// Locale is the event's default language; Locales all enabled ones.
	Locale  string
	Locales []string
	// NameScheme is the attendee name scheme key (event setting name_scheme);
	// InvoiceNameScheme the one used for invoice addresses, which pretix
	// shares with attendees unless set.
	NameScheme        string
	InvoiceNameScheme string
	Questions         []Question
	CheckinLists      []CheckinList
	Items             []Item
	SubEvents         []SubEvent
	// VoucherCodes maps voucher ids to codes; orders only carry the id, and
	// reading vouchers needs a permission the token may lack, so it is optional.
	VoucherCodes map[int64]string
}

// Question is a pretix question (custom checkout field).
type Question struct {
	ID               int64            `json:"id"`
	Identifier       string           `json:"identifier"`
	Question         I18n             `json:"question"`
	Type             Type             `json:"type"`
	Position         int              `json:"position"`
	Options          []QuestionOption `json:"options"`
	AskDuringCheckin bool             `json:"ask_during_checkin"`
	Hidden           bool             `json:"hidden"`
}

// QuestionOption is one answer option of a choice question.
type QuestionOption struct {
	ID         int64  `json:"id"`
	Identifier string `json:"identifier"`
	Answer     I18n   `json:"answer"`
	Position   int    `json:"position"`
}

// CheckinList is a pretix check-in list.
type CheckinList struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Item is a pretix product.
type Item struct {
	ID           int64       `json:"id"`
	Name         I18n        `json:"name"`
	InternalName string      `json:"internal_name"`
	Admission    bool        `json:"admission"`
	Variations   []Variation `json:"variations"`
}

// Variation is a product variation (e.g. "Student").
type Variation struct {
	ID    int64 `json:"id"`
	Value I18n  `json:"value"`
}

// SubEvent is one date of an event series.
type SubEvent struct {
	ID       int64     `json:"id"`
	Name     I18n      `json:"name"`
	DateFrom time.Time `json:"date_from"`
	DateTo   time.Time `json:"date_to"`
}

// PrimaryLocale is the language labels are taken from: the default locale,
// else the first enabled one, else English.
func (ev *EventInfo) PrimaryLocale() string {
	if ev.Locale != "" {
		return ev.Locale
	}
	if len(ev.Locales) > 0 {
		return ev.Locales[0]
	}
	return "en"
}

// AttendeeScheme returns the attendee name scheme (pretix's default if unset or unknown).
func (ev *EventInfo) AttendeeScheme() *NameScheme { return schemeOrDefault(ev.NameScheme) }

// InvoiceScheme returns the invoice-address name scheme.
func (ev *EventInfo) InvoiceScheme() *NameScheme {
	if ev.InvoiceNameScheme != "" {
		if s, ok := nameSchemes[ev.InvoiceNameScheme]; ok {
			return s
		}
	}
	return ev.AttendeeScheme()
}
