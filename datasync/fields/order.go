package fields

import (
	"encoding/json"
	"time"
)

// Order is the part of a pretix order (API JSON) that field values are
// computed from. Decode it with DecodeOrder, which also links add-ons to
// their parents and keeps the order and ticket secrets unexported so they
// can reach no export except the two link fields.
type Order struct {
	Code            string          `json:"code"`
	Event           string          `json:"event"`
	Status          string          `json:"status"` // n, p, e, c
	Testmode        bool            `json:"testmode"`
	Email           string          `json:"email"`
	Phone           string          `json:"phone"`
	Locale          string          `json:"locale"`
	SalesChannel    string          `json:"sales_channel"`
	Datetime        time.Time       `json:"datetime"`
	LastModified    time.Time       `json:"last_modified"`
	Total           string          `json:"total"`
	RequireApproval bool            `json:"require_approval"`
	ValidIfPending  bool            `json:"valid_if_pending"`
	InvoiceAddress  *InvoiceAddress `json:"invoice_address"`
	Positions       []Position      `json:"positions"`
	Payments        []Payment       `json:"payments"`

	url       string // customer order link; contains the order secret
	emailNorm string // Email normalised once at decode time
	decoded   bool   // set by DecodeOrder: the cached fields are valid
}

// InvoiceAddress is the order's invoice address.
type InvoiceAddress struct {
	IsBusiness        bool      `json:"is_business"`
	Company           string    `json:"company"`
	Name              string    `json:"name"`
	NameParts         NameParts `json:"name_parts"`
	Street            string    `json:"street"`
	Zipcode           string    `json:"zipcode"`
	City              string    `json:"city"`
	Country           string    `json:"country"`
	State             string    `json:"state"`
	VATID             string    `json:"vat_id"`
	InternalReference string    `json:"internal_reference"`
}

// Position is one order position (ticket or add-on), canceled ones included.
type Position struct {
	ID                int64     `json:"id"`
	PositionID        int       `json:"positionid"`
	Canceled          bool      `json:"canceled"`
	Item              int64     `json:"item"`
	Variation         int64     `json:"variation"`
	Price             string    `json:"price"`
	AttendeeName      string    `json:"attendee_name"`
	AttendeeNameParts NameParts `json:"attendee_name_parts"`
	AttendeeEmail     string    `json:"attendee_email"`
	Company           string    `json:"company"`
	Street            string    `json:"street"`
	Zipcode           string    `json:"zipcode"`
	City              string    `json:"city"`
	Country           string    `json:"country"`
	State             string    `json:"state"`
	Voucher           int64     `json:"voucher"`
	AddonTo           int64     `json:"addon_to"` // internal id of the parent position
	Subevent          int64     `json:"subevent"`
	Checkins          []Checkin `json:"checkins"`
	Answers           []Answer  `json:"answers"`

	parent    int32  // index+1 of the parent in Order.Positions; 0 = none
	emailNorm string // AttendeeEmail normalised at decode time
}

// Checkin is one successful scan of a position.
type Checkin struct {
	List     int64     `json:"list"`
	Datetime time.Time `json:"datetime"`
	Type     string    `json:"type"` // entry or exit ("" on old servers = entry)
}

// Answer is a position's answer to a question.
type Answer struct {
	Question           int64    `json:"question"`
	QuestionIdentifier string   `json:"question_identifier"`
	Answer             string   `json:"answer"`
	Options            []int64  `json:"options"`
	OptionIdentifiers  []string `json:"option_identifiers"`
}

// Payment is one payment attempt of an order.
type Payment struct {
	LocalID     int       `json:"local_id"`
	State       string    `json:"state"` // created, pending, confirmed, canceled, failed, refunded
	Amount      string    `json:"amount"`
	Created     time.Time `json:"created"`
	PaymentDate time.Time `json:"payment_date"` // zero if not completed
	Provider    string    `json:"provider"`
}

type wireOrder struct {
	orderFields
	URL string `json:"url"`
}

// orderFields has Order's fields without its methods.
type orderFields Order

// DecodeOrder decodes one pretix order from its API JSON. Unknown fields are
// ignored, so newer pretix versions decode too.
func DecodeOrder(raw []byte) (*Order, error) {
	var w wireOrder
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, malformed("order", err)
	}
	o := (*Order)(&w.orderFields)
	o.url = w.URL
	o.normalize()
	return o, nil
}

// normalize converts times to UTC, links add-ons to their parents and
// normalises emails once, since a batch reads them several times (identifier,
// property, dedupe key).
func (o *Order) normalize() {
	o.decoded = true
	o.emailNorm = NormalizeEmail(o.Email)
	o.Datetime = o.Datetime.UTC()
	o.LastModified = o.LastModified.UTC()
	for i := range o.Payments {
		o.Payments[i].Created = o.Payments[i].Created.UTC()
		o.Payments[i].PaymentDate = o.Payments[i].PaymentDate.UTC()
	}
	var byID map[int64]int32
	if len(o.Positions) > 16 {
		byID = make(map[int64]int32, len(o.Positions))
		for i := range o.Positions {
			byID[o.Positions[i].ID] = int32(i + 1)
		}
	}
	for i := range o.Positions {
		p := &o.Positions[i]
		p.emailNorm = NormalizeEmail(p.AttendeeEmail)
		for j := range p.Checkins {
			p.Checkins[j].Datetime = p.Checkins[j].Datetime.UTC()
		}
		p.parent = 0
		if p.AddonTo == 0 || p.AddonTo == p.ID {
			continue
		}
		if byID != nil {
			p.parent = byID[p.AddonTo]
			continue
		}
		for j := range o.Positions {
			if o.Positions[j].ID == p.AddonTo {
				p.parent = int32(j + 1)
				break
			}
		}
	}
}

// normalizedEmail is the order email, normalised.
func (o *Order) normalizedEmail() string {
	if o.decoded {
		return o.emailNorm
	}
	return NormalizeEmail(o.Email)
}

// attendeeEmail is a position's own attendee email, normalised.
func (o *Order) attendeeEmail(p *Position) string {
	if o.decoded {
		return p.emailNorm
	}
	return NormalizeEmail(p.AttendeeEmail)
}

// Parent returns the position p is an add-on to, or nil. p must belong to o.
func (o *Order) Parent(p *Position) *Position {
	if p == nil || p.parent == 0 || int(p.parent) > len(o.Positions) {
		return nil
	}
	return &o.Positions[p.parent-1]
}

// FullCode is the event slug and order code, e.g. "DEVCON25-Q7XK9".
func (o *Order) FullCode(eventSlug string) string {
	return upperASCII(eventSlug) + "-" + o.Code
}

func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
