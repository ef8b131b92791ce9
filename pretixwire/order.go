package pretixwire

import (
	"encoding/json"
	"strings"
	"time"
)

// Order is a pretix order as the API sends it with canceled positions and
// fees included. Decode it with DecodeOrder, which also links add-ons to
// their parents, converts times to UTC, normalises e-mails once and keeps the
// customer link (it contains the order secret) unexported, so it reaches
// only the fields that ask for it and never a JSON view of the order.
type Order struct {
	Code             string          `json:"code"`
	Event            string          `json:"event"`  // missing before pretix 2023.8; the client fills it in
	Status           string          `json:"status"` // n, p, e, c
	Testmode         bool            `json:"testmode"`
	Email            string          `json:"email"`
	Phone            string          `json:"phone"`
	Locale           string          `json:"locale"`
	SalesChannel     string          `json:"sales_channel"`
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
	// Raw is the exact JSON pretix sent; the client sets it for ingest.
	Raw json.RawMessage `json:"-"`

	url       string // customer order link; contains the order secret
	emailNorm string // Email normalised once at decode time
	decoded   bool   // set by DecodeOrder: the cached fields are valid
}

// InvoiceAddress is an order's invoice address.
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
	InternalReference string    `json:"internal_reference"`
	CustomField       string    `json:"custom_field"`
	VATID             string    `json:"vat_id"`
}

// Position is one order position (ticket or add-on), canceled ones included.
// Item, Variation, Subevent, Voucher and AddonTo are pretix's internal ids;
// 0 stands for pretix's null (pretix ids start at 1).
type Position struct {
	ID                int64           `json:"id"`
	PositionID        int             `json:"positionid"`
	Canceled          bool            `json:"canceled"`
	Item              int64           `json:"item"`
	Variation         int64           `json:"variation"`
	Subevent          int64           `json:"subevent"`
	Price             string          `json:"price"`
	TaxRate           string          `json:"tax_rate"` // percent, e.g. "19.00"
	AttendeeName      string          `json:"attendee_name"`
	AttendeeNameParts NameParts       `json:"attendee_name_parts"`
	AttendeeEmail     string          `json:"attendee_email"`
	Company           string          `json:"company"`
	Street            string          `json:"street"`
	Zipcode           string          `json:"zipcode"`
	City              string          `json:"city"`
	Country           string          `json:"country"`
	State             string          `json:"state"`
	Voucher           int64           `json:"voucher"`
	AddonTo           int64           `json:"addon_to"` // the parent position's id
	Seat              json.RawMessage `json:"seat"`
	Answers           []Answer        `json:"answers"`
	Checkins          []Checkin       `json:"checkins"`

	parent    int32  // index+1 of the parent in Order.Positions; 0 = none
	emailNorm string // AttendeeEmail normalised at decode time
}

// NameParts is a pretix *_name_parts object: part key → text, plus
// "_scheme" naming the scheme the parts were entered under.
type NameParts map[string]string

// Scheme is the scheme the parts were entered under ("" if not recorded).
func (p NameParts) Scheme() string { return p["_scheme"] }

// Empty reports whether no name part has text.
func (p NameParts) Empty() bool {
	for k, v := range p {
		if k != "" && k[0] != '_' && strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// Answer is a position's answer to a question.
type Answer struct {
	Question           int64    `json:"question"`
	QuestionIdentifier string   `json:"question_identifier"`
	Answer             string   `json:"answer"`
	Options            []int64  `json:"options"`
	OptionIdentifiers  []string `json:"option_identifiers"`
}

// Checkin is one successful scan of a position.
type Checkin struct {
	ID       int64     `json:"id"`
	List     int64     `json:"list"`
	Datetime time.Time `json:"datetime"`
	Type     string    `json:"type"` // entry or exit ("" on old servers = entry)
}

// Fee is an order fee.
type Fee struct {
	ID          int64  `json:"id"`
	FeeType     string `json:"fee_type"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Canceled    bool   `json:"canceled"`
}

// Payment is one payment attempt of an order.
type Payment struct {
	LocalID     int        `json:"local_id"`
	State       string     `json:"state"` // created, pending, confirmed, canceled, failed, refunded
	Amount      string     `json:"amount"`
	Created     time.Time  `json:"created"`
	PaymentDate *time.Time `json:"payment_date"` // nil until completed
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

type orderWithURL struct {
	orderFields
	URL string `json:"url"`
}

// orderFields has Order's fields without its methods.
type orderFields Order

// DecodeOrder decodes one order object as pretix sends it. Unknown fields are
// ignored, so newer pretix versions decode too; Raw is left unset.
func DecodeOrder(raw []byte) (*Order, error) {
	var w orderWithURL
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, Malformed("order", err)
	}
	o := (*Order)(&w.orderFields)
	o.url = w.URL
	o.normalize()
	return o, nil
}

// normalize converts times to UTC, links add-ons to their parents and
// normalises e-mails once, since a batch reads them several times
// (identifier, property, dedupe key).
func (o *Order) normalize() {
	o.decoded = true
	o.emailNorm = NormalizeEmail(o.Email)
	o.Datetime = o.Datetime.UTC()
	o.LastModified = o.LastModified.UTC()
	for i := range o.Payments {
		o.Payments[i].Created = o.Payments[i].Created.UTC()
		if d := o.Payments[i].PaymentDate; d != nil {
			u := d.UTC()
			o.Payments[i].PaymentDate = &u
		}
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

// CustomerURL is the customer's order link. It contains the order secret.
func (o *Order) CustomerURL() string { return o.url }

// NormalizedEmail is the order e-mail, normalised.
func (o *Order) NormalizedEmail() string {
	if o.decoded {
		return o.emailNorm
	}
	return NormalizeEmail(o.Email)
}

// AttendeeEmail is a position's own attendee e-mail, normalised.
func (o *Order) AttendeeEmail(p *Position) string {
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

// FullCode is the event slug and order code, e.g. "DEVCON25-Q7XK9" (pretix
// slugs are ASCII).
func (o *Order) FullCode(eventSlug string) string {
	return strings.ToUpper(eventSlug) + "-" + o.Code
}
