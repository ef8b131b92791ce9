package pretixfake

import (
	"encoding/json"
	"strings"
	"time"
)

// LocalizedString is pretix's multilingual string: locale → text.
type LocalizedString map[string]string

// Time marshals like pretix's datetime fields: ISO 8601 with microseconds,
// "Z" for UTC and a numeric offset otherwise.
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatTime(time.Time(t)))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(v)
	return nil
}

func formatTime(v time.Time) string {
	return v.Format("2006-01-02T15:04:05.000000Z07:00")
}

// T converts a time.Time for use in the emulator's structs.
func T(v time.Time) Time { return Time(v) }

// TP is T for nullable fields.
func TP(v time.Time) *Time { t := Time(v); return &t }

// Organizer is a pretix organizer as the API shows it.
type Organizer struct {
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	PublicURL string   `json:"public_url"`
	Plugins   []string `json:"plugins"`
}

// Event is a pretix event as the API shows it.
type Event struct {
	Name               LocalizedString   `json:"name"`
	Slug               string            `json:"slug"`
	Live               bool              `json:"live"`
	Testmode           bool              `json:"testmode"`
	Currency           string            `json:"currency"`
	DateFrom           *Time             `json:"date_from"`
	DateTo             *Time             `json:"date_to"`
	DateAdmission      *Time             `json:"date_admission"`
	IsPublic           bool              `json:"is_public"`
	PresaleStart       *Time             `json:"presale_start"`
	PresaleEnd         *Time             `json:"presale_end"`
	Location           LocalizedString   `json:"location"`
	GeoLat             *float64          `json:"geo_lat"`
	GeoLon             *float64          `json:"geo_lon"`
	HasSubevents       bool              `json:"has_subevents"`
	MetaData           map[string]string `json:"meta_data"`
	SeatingPlan        *int64            `json:"seating_plan"`
	SeatCategoryMap    map[string]int64  `json:"seat_category_mapping"`
	Timezone           string            `json:"timezone"`
	ItemMetaProperties map[string]string `json:"item_meta_properties"`
	Plugins            []string          `json:"plugins"`
	SalesChannels      []string          `json:"sales_channels"`
	PublicURL          string            `json:"public_url"`
}

// EventSettings are the event settings keys the emulator serves.
type EventSettings struct {
	Locales    []string `json:"locales"`
	Locale     string   `json:"locale"`
	NameScheme string   `json:"name_scheme"`
	Timezone   string   `json:"timezone"`
}

// SubEvent is one date of an event series.
type SubEvent struct {
	ID           int64             `json:"id"`
	Name         LocalizedString   `json:"name"`
	Event        string            `json:"event"`
	Active       bool              `json:"active"`
	IsPublic     bool              `json:"is_public"`
	DateFrom     *Time             `json:"date_from"`
	DateTo       *Time             `json:"date_to"`
	DateAdmit    *Time             `json:"date_admission"`
	PresaleStart *Time             `json:"presale_start"`
	PresaleEnd   *Time             `json:"presale_end"`
	Location     LocalizedString   `json:"location"`
	GeoLat       *float64          `json:"geo_lat"`
	GeoLon       *float64          `json:"geo_lon"`
	MetaData     map[string]string `json:"meta_data"`
	LastModified Time              `json:"last_modified"`
}

// Category is a product category.
type Category struct {
	ID           int64           `json:"id"`
	Name         LocalizedString `json:"name"`
	InternalName *string         `json:"internal_name"`
	Description  LocalizedString `json:"description"`
	Position     int             `json:"position"`
	IsAddon      bool            `json:"is_addon"`
}

// Variation is one variation of an item (e.g. "Student").
type Variation struct {
	ID           int64           `json:"id"`
	Value        LocalizedString `json:"value"`
	Active       bool            `json:"active"`
	Description  LocalizedString `json:"description"`
	Position     int             `json:"position"`
	DefaultPrice *string         `json:"default_price"`
	Price        string          `json:"price"`
}

// ItemAddon allows add-on products from a category.
type ItemAddon struct {
	AddonCategory int64 `json:"addon_category"`
	MinCount      int   `json:"min_count"`
	MaxCount      int   `json:"max_count"`
	Position      int   `json:"position"`
	PriceIncluded bool  `json:"price_included"`
}

// Item is a product.
type Item struct {
	ID              int64             `json:"id"`
	Name            LocalizedString   `json:"name"`
	InternalName    *string           `json:"internal_name"`
	Category        *int64            `json:"category"`
	Active          bool              `json:"active"`
	Description     LocalizedString   `json:"description"`
	DefaultPrice    string            `json:"default_price"`
	FreePrice       bool              `json:"free_price"`
	Admission       bool              `json:"admission"`
	Personalized    bool              `json:"personalized"`
	Position        int               `json:"position"`
	HasVariations   bool              `json:"has_variations"`
	Variations      []Variation       `json:"variations"`
	Addons          []ItemAddon       `json:"addons"`
	RequireApproval bool              `json:"require_approval"`
	MetaData        map[string]string `json:"meta_data"`
	SalesChannels   []string          `json:"sales_channels"`
}

// QuestionOption is one answer option of a choice question.
type QuestionOption struct {
	ID         int64           `json:"id"`
	Identifier string          `json:"identifier"`
	Position   int             `json:"position"`
	Answer     LocalizedString `json:"answer"`
}

// Question types as pretix codes them.
const (
	QNumber         = "N"
	QString         = "S"
	QText           = "T"
	QBoolean        = "B"
	QChoice         = "C"
	QMultipleChoice = "M"
	QFile           = "F"
	QDate           = "D"
	QTime           = "H"
	QDateTime       = "W"
	QCountry        = "CC"
	QPhone          = "TEL"
)

// Question is a question asked per position.
type Question struct {
	ID                   int64            `json:"id"`
	Question             LocalizedString  `json:"question"`
	HelpText             LocalizedString  `json:"help_text"`
	Type                 string           `json:"type"`
	Required             bool             `json:"required"`
	Position             int              `json:"position"`
	Items                []int64          `json:"items"`
	Identifier           string           `json:"identifier"`
	AskDuringCheckin     bool             `json:"ask_during_checkin"`
	ShowDuringCheckin    bool             `json:"show_during_checkin"`
	Hidden               bool             `json:"hidden"`
	PrintOnInvoice       bool             `json:"print_on_invoice"`
	Options              []QuestionOption `json:"options"`
	ValidNumberMin       *string          `json:"valid_number_min"`
	ValidNumberMax       *string          `json:"valid_number_max"`
	ValidDateMin         *string          `json:"valid_date_min"`
	ValidDateMax         *string          `json:"valid_date_max"`
	ValidDatetimeMin     *string          `json:"valid_datetime_min"`
	ValidDatetimeMax     *string          `json:"valid_datetime_max"`
	ValidStringLengthMax *int             `json:"valid_string_length_max"`
	ValidFilePortrait    bool             `json:"valid_file_portrait"`
	DependencyQuestion   *int64           `json:"dependency_question"`
	DependencyValues     []string         `json:"dependency_values"`
}

// CheckinList is a check-in list.
type CheckinList struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	AllProducts   bool    `json:"all_products"`
	Limit         []int64 `json:"limit_products"`
	Subevent      *int64  `json:"subevent"`
	IncludePend   bool    `json:"include_pending"`
	AllowEntryAft bool    `json:"allow_entry_after_exit"`
}

// Fee is an order fee.
type Fee struct {
	ID           int64   `json:"id"`
	FeeType      string  `json:"fee_type"`
	Value        string  `json:"value"`
	Description  string  `json:"description"`
	InternalType string  `json:"internal_type"`
	TaxRate      string  `json:"tax_rate"`
	TaxValue     string  `json:"tax_value"`
	TaxRule      *int64  `json:"tax_rule"`
	TaxCode      *string `json:"tax_code"`
	Canceled     bool    `json:"canceled"`
}

// InvoiceAddress is an order's invoice address.
type InvoiceAddress struct {
	LastModified      Time              `json:"last_modified"`
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
	CustomField       *string           `json:"custom_field"`
	VATID             string            `json:"vat_id"`
	VATIDValidated    bool              `json:"vat_id_validated"`
	TransmissionType  string            `json:"transmission_type"`
	TransmissionInfo  map[string]any    `json:"transmission_info"`
}

// Answer is an answer to a question on a position.
type Answer struct {
	Question           int64    `json:"question"`
	QuestionIdentifier string   `json:"question_identifier"`
	Answer             string   `json:"answer"`
	Options            []int64  `json:"options"`
	OptionIdentifiers  []string `json:"option_identifiers"`
}

// Checkin is a successful check-in of a position.
type Checkin struct {
	ID            int64  `json:"id"`
	List          int64  `json:"list"`
	Datetime      Time   `json:"datetime"`
	Type          string `json:"type"`
	Gate          *int64 `json:"gate"`
	Device        *int64 `json:"device"`
	DeviceID      *int64 `json:"device_id"`
	AutoCheckedIn bool   `json:"auto_checked_in"`
}

// Download is a ticket download link.
type Download struct {
	Output string `json:"output"`
	URL    string `json:"url"`
}

// Position is an order position.
type Position struct {
	ID                 int64             `json:"id"`
	Order              string            `json:"order"`
	PositionID         int               `json:"positionid"`
	Canceled           bool              `json:"canceled"`
	Item               int64             `json:"item"`
	Variation          *int64            `json:"variation"`
	Price              string            `json:"price"`
	AttendeeName       *string           `json:"attendee_name"`
	AttendeeNameParts  map[string]string `json:"attendee_name_parts"`
	AttendeeEmail      *string           `json:"attendee_email"`
	Company            *string           `json:"company"`
	Street             *string           `json:"street"`
	Zipcode            *string           `json:"zipcode"`
	City               *string           `json:"city"`
	Country            *string           `json:"country"`
	State              *string           `json:"state"`
	Voucher            *int64            `json:"voucher"`
	VoucherBudgetUse   *string           `json:"voucher_budget_use"`
	TaxRate            string            `json:"tax_rate"`
	TaxValue           string            `json:"tax_value"`
	TaxRule            *int64            `json:"tax_rule"`
	TaxCode            *string           `json:"tax_code"`
	Secret             string            `json:"secret"`
	AddonTo            *int64            `json:"addon_to"`
	Subevent           *int64            `json:"subevent"`
	Discount           *int64            `json:"discount"`
	Blocked            []string          `json:"blocked"`
	ValidFrom          *Time             `json:"valid_from"`
	ValidUntil         *Time             `json:"valid_until"`
	PseudonymizationID string            `json:"pseudonymization_id"`
	Seat               map[string]any    `json:"seat"`
	Checkins           []Checkin         `json:"checkins"`
	PrintLogs          []map[string]any  `json:"print_logs"`
	Downloads          []Download        `json:"downloads"`
	Answers            []Answer          `json:"answers"`
	PluginData         map[string]any    `json:"plugin_data"`
}

// Payment is an order payment.
type Payment struct {
	LocalID     int            `json:"local_id"`
	State       string         `json:"state"`
	Amount      string         `json:"amount"`
	Created     Time           `json:"created"`
	PaymentDate *Time          `json:"payment_date"`
	PaymentURL  *string        `json:"payment_url"`
	Details     map[string]any `json:"details"`
	Provider    string         `json:"provider"`
}

// Refund is an order refund.
type Refund struct {
	LocalID       int            `json:"local_id"`
	State         string         `json:"state"`
	Source        string         `json:"source"`
	Amount        string         `json:"amount"`
	Payment       *int           `json:"payment"`
	Created       Time           `json:"created"`
	ExecutionDate *Time          `json:"execution_date"`
	Comment       *string        `json:"comment"`
	Provider      string         `json:"provider"`
	Details       map[string]any `json:"details"`
}

// Order is a pretix order in the 2025.10 shape.
type Order struct {
	Code             string          `json:"code"`
	Event            string          `json:"event"`
	Status           string          `json:"status"`
	Testmode         bool            `json:"testmode"`
	Secret           string          `json:"secret"`
	URL              string          `json:"url"`
	Email            *string         `json:"email"`
	Phone            *string         `json:"phone"`
	Customer         *string         `json:"customer"`
	Locale           string          `json:"locale"`
	SalesChannel     string          `json:"sales_channel"`
	Datetime         Time            `json:"datetime"`
	Expires          Time            `json:"expires"`
	LastModified     Time            `json:"last_modified"`
	PaymentDate      *string         `json:"payment_date"`
	PaymentProvider  *string         `json:"payment_provider"`
	Fees             []Fee           `json:"fees"`
	Total            string          `json:"total"`
	TaxRoundingMode  string          `json:"tax_rounding_mode"`
	Comment          string          `json:"comment"`
	APIMeta          map[string]any  `json:"api_meta"`
	CustomFollowupAt *string         `json:"custom_followup_at"`
	CheckinAttention bool            `json:"checkin_attention"`
	CheckinText      *string         `json:"checkin_text"`
	RequireApproval  bool            `json:"require_approval"`
	ValidIfPending   bool            `json:"valid_if_pending"`
	InvoiceAddress   *InvoiceAddress `json:"invoice_address"`
	Positions        []Position      `json:"positions"`
	Downloads        []Download      `json:"downloads"`
	Payments         []Payment       `json:"payments"`
	Refunds          []Refund        `json:"refunds"`
	CancellationDate *Time           `json:"cancellation_date"`
	PluginData       map[string]any  `json:"plugin_data"`
}

// Order status codes.
const (
	StatusPending  = "n"
	StatusPaid     = "p"
	StatusExpired  = "e"
	StatusCanceled = "c"
)

// Str returns a pointer to s, for the many nullable string fields.
func Str(s string) *string { return &s }

// Int returns a pointer to v.
func Int(v int64) *int64 { return &v }

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func lower(s string) string { return strings.ToLower(s) }
