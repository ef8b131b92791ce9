package pretix

import (
	"encoding/json"
	"sort"
	"time"
)

// LocalizedText is pretix's multilingual string: locale → text.
type LocalizedText map[string]string

// In returns the text in the first of the given locales that has one, then
// English, then any (alphabetically first) locale.
func (t LocalizedText) In(locales ...string) string {
	for _, l := range append(locales, "en") {
		if s := t[l]; s != "" {
			return s
		}
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if t[k] != "" {
			return t[k]
		}
	}
	return ""
}

// Organizer is a pretix organizer.
type Organizer struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Event is a pretix event; Raw holds the object as pretix sent it.
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

// EventSettings are the event settings the field catalogue needs.
type EventSettings struct {
	Locales    []string        `json:"locales"`
	Locale     string          `json:"locale"`
	NameScheme string          `json:"name_scheme"`
	Raw        json.RawMessage `json:"-"`
}

// Variation is an item variation.
type Variation struct {
	ID    int64         `json:"id"`
	Value LocalizedText `json:"value"`
}

// Item is a product; Raw holds pretix's object.
type Item struct {
	ID         int64           `json:"id"`
	Name       LocalizedText   `json:"name"`
	Category   *int64          `json:"category"`
	Admission  bool            `json:"admission"`
	Variations []Variation     `json:"variations"`
	Raw        json.RawMessage `json:"-"`
}

// Category is a product category; Raw holds pretix's object.
type Category struct {
	ID      int64           `json:"id"`
	Name    LocalizedText   `json:"name"`
	IsAddon bool            `json:"is_addon"`
	Raw     json.RawMessage `json:"-"`
}

// QuestionOption is an answer option of a choice question.
type QuestionOption struct {
	ID         int64         `json:"id"`
	Identifier string        `json:"identifier"`
	Answer     LocalizedText `json:"answer"`
}

// Question is a question; Raw holds pretix's object.
type Question struct {
	ID               int64            `json:"id"`
	Identifier       string           `json:"identifier"`
	Question         LocalizedText    `json:"question"`
	Type             string           `json:"type"`
	AskDuringCheckin bool             `json:"ask_during_checkin"`
	Hidden           bool             `json:"hidden"`
	Options          []QuestionOption `json:"options"`
	Raw              json.RawMessage  `json:"-"`
}

// CheckinList is a check-in list; Raw holds pretix's object.
type CheckinList struct {
	ID   int64           `json:"id"`
	Name string          `json:"name"`
	Raw  json.RawMessage `json:"-"`
}

// SubEvent is a date of an event series; Raw holds pretix's object.
type SubEvent struct {
	ID       int64           `json:"id"`
	Name     LocalizedText   `json:"name"`
	DateFrom *time.Time      `json:"date_from"`
	Raw      json.RawMessage `json:"-"`
}

// Order is a pretix order, decoded for what ingest needs; Raw is the exact
// JSON pretix sent (with canceled positions and fees).
type Order struct {
	Code             string          `json:"code"`
	Event            string          `json:"event"` // missing before pretix 2023.8; filled in by the client
	Status           string          `json:"status"`
	Testmode         bool            `json:"testmode"`
	Email            string          `json:"email"`
	Phone            string          `json:"phone"`
	Locale           string          `json:"locale"`
	Datetime         time.Time       `json:"datetime"`
	LastModified     time.Time       `json:"last_modified"`
	Total            string          `json:"total"`
	RequireApproval  bool            `json:"require_approval"`
	ValidIfPending   bool            `json:"valid_if_pending"`
	CancellationDate *time.Time      `json:"cancellation_date"`
	InvoiceAddress   *InvoiceAddress `json:"invoice_address"`
	Positions        []Position      `json:"positions"`
	Fees             []Fee           `json:"fees"`
	Payments         []Payment       `json:"payments"`
	Refunds          []Refund        `json:"refunds"`
	Raw              json.RawMessage `json:"-"`
}

// InvoiceAddress is an order's invoice address.
type InvoiceAddress struct {
	IsBusiness        bool              `json:"is_business"`
	Company           string            `json:"company"`
	Name              string            `json:"name"`
	NameParts         map[string]string `json:"name_parts"`
	Street            string            `json:"street"`
	Zipcode           string            `json:"zipcode"`
	City              string            `json:"city"`
	Country           string            `json:"country"`
	State             string            `json:"state"`
	InternalReference string            `json:"internal_reference"`
	CustomField       string            `json:"custom_field"`
	VATID             string            `json:"vat_id"`
}

// Position is an order position. AddonTo is the parent's internal ID.
type Position struct {
	ID                int64             `json:"id"`
	PositionID        int               `json:"positionid"`
	Canceled          bool              `json:"canceled"`
	Item              int64             `json:"item"`
	Variation         *int64            `json:"variation"`
	Subevent          *int64            `json:"subevent"`
	Price             string            `json:"price"`
	AttendeeName      string            `json:"attendee_name"`
	AttendeeNameParts map[string]string `json:"attendee_name_parts"`
	AttendeeEmail     string            `json:"attendee_email"`
	Company           string            `json:"company"`
	Street            string            `json:"street"`
	Zipcode           string            `json:"zipcode"`
	City              string            `json:"city"`
	Country           string            `json:"country"`
	State             string            `json:"state"`
	AddonTo           *int64            `json:"addon_to"`
	Seat              json.RawMessage   `json:"seat"`
	Answers           []Answer          `json:"answers"`
	Checkins          []Checkin         `json:"checkins"`
}

// Answer is an answer to a question.
type Answer struct {
	Question           int64    `json:"question"`
	QuestionIdentifier string   `json:"question_identifier"`
	Answer             string   `json:"answer"`
	Options            []int64  `json:"options"`
	OptionIdentifiers  []string `json:"option_identifiers"`
}

// Checkin is a successful check-in.
type Checkin struct {
	ID       int64     `json:"id"`
	List     int64     `json:"list"`
	Datetime time.Time `json:"datetime"`
	Type     string    `json:"type"`
}

// Fee is an order fee.
type Fee struct {
	ID          int64  `json:"id"`
	FeeType     string `json:"fee_type"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Canceled    bool   `json:"canceled"`
}

// Payment is an order payment.
type Payment struct {
	LocalID     int        `json:"local_id"`
	State       string     `json:"state"`
	Amount      string     `json:"amount"`
	Created     time.Time  `json:"created"`
	PaymentDate *time.Time `json:"payment_date"`
	Provider    string     `json:"provider"`
}

// Refund is an order refund.
type Refund struct {
	LocalID       int        `json:"local_id"`
	State         string     `json:"state"`
	Source        string     `json:"source"`
	Amount        string     `json:"amount"`
	Created       time.Time  `json:"created"`
	ExecutionDate *time.Time `json:"execution_date"`
	Provider      string     `json:"provider"`
}

// DecodeOrder decodes one order object as pretix sends it and keeps the raw
// bytes. event fills Order.Event when the object lacks it (old servers).
func DecodeOrder(raw []byte, event string) (Order, error) {
	var o Order
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, err
	}
	if o.Event == "" {
		o.Event = event
	}
	o.Raw = append(json.RawMessage(nil), raw...)
	return o, nil
}
