package fields

import (
	"time"

	"pretix-hubspot/pretixwire"
)

// EventInfo is everything the catalogue and the resolver need to know about
// one pretix event. Build it with EventInfoFromJSON from stored API JSON, or
// fill it directly in tests.
type EventInfo struct {
	Slug         string
	Name         pretixwire.LocalizedText
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
	Questions         []pretixwire.Question
	CheckinLists      []pretixwire.CheckinList
	Items             []pretixwire.Item
	SubEvents         []pretixwire.SubEvent
	// VoucherCodes maps voucher ids to codes; orders only carry the id, and
	// reading vouchers needs a permission the token may lack, so it is optional.
	VoucherCodes map[int64]string
}

// PrimaryLocale is the language labels are taken from: the default locale,
// else the first enabled one, else English.
func (ev *EventInfo) PrimaryLocale() string { return pretixwire.PrimaryLocale(ev.Locale, ev.Locales) }

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
