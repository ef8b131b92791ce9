package fields

import (
	"encoding/json"
	"fmt"
	"pretix-hubspot/pretixwire"
	"sort"
	"strconv"
)

// Option is one choice of a choice field: Value is what the field's values
// hold (option identifier, status or locale code), Label the English or
// event-language text.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field describes one pretix source field a property mapping can read.
type Field struct {
	Key          string       `json:"key"`
	Label        string       `json:"label"`
	Category     Category     `json:"category"`
	Type         Type         `json:"type"`
	Options      []Option     `json:"options,omitempty"`
	AvailableFor []ObjectType `json:"available_for"`
	// Deprecated fields are hidden in the picker unless a row already uses them.
	Deprecated bool `json:"deprecated,omitempty"`
	// Sensitive fields contain a secret link that gives access to the order.
	Sensitive bool `json:"sensitive,omitempty"`
}

// AvailableIn reports whether a mapping of the object type can read the field.
func (f *Field) AvailableIn(o ObjectType) bool {
	for _, a := range f.AvailableFor {
		if a == o {
			return true
		}
	}
	return false
}

// PickerLabel is the text of the field picker, e.g. "Order email [Text (one line)]".
func (f *Field) PickerLabel() string { return f.Label + " [" + f.Type.Label() + "]" }

// Catalogue lists the fields an event offers, grouped by category in picker
// order. Deprecated fields are included (flagged); file questions are not.
func Catalogue(ev EventInfo) []Field {
	return NewResolver(ev).Fields()
}

// ForObject keeps the fields a mapping of the object type can read.
func ForObject(fields []Field, o ObjectType) []Field {
	out := make([]Field, 0, len(fields))
	for i := range fields {
		if fields[i].AvailableIn(o) {
			out = append(out, fields[i])
		}
	}
	return out
}

var (
	forOrder    = []ObjectType{ObjectOrder, ObjectPosition}
	forPosition = []ObjectType{ObjectPosition}
)

var orderStatusOptions = []Option{
	{"n", "Pending"}, {"p", "Paid"}, {"e", "Expired"}, {"c", "Canceled"},
}

// keyAliases accepts spellings people (and older drafts of our API) use.
var keyAliases = map[string]string{
	"order_email": "email",
	"order_phone": "phone",
}

// def is a catalogue entry plus how to compute its value.
type def struct {
	Field
	position bool // needs an order position
	get      func(c Context) (Value, error)
}

// buildDefs lists every field of the event in picker order.
func buildDefs(x *index) []*def {
	ev := x.ev
	var ds []*def
	add := func(f Field, position bool, get func(c Context) (Value, error)) *def {
		if position {
			f.AvailableFor = forPosition
		} else {
			f.AvailableFor = forOrder
		}
		d := &def{Field: f, position: position, get: get}
		ds = append(ds, d)
		return d
	}

	// Order position details
	add(Field{Key: "ticket_id", Label: "Order code and position number", Category: CategoryPosition, Type: TypeText}, true, x.ticketID)
	add(Field{Key: "position_id", Label: "Order position ID", Category: CategoryPosition, Type: TypeNumber}, true, x.positionID)
	add(Field{Key: "event_ticket_id", Label: "Event, order code and position number", Category: CategoryPosition, Type: TypeText}, true, x.eventTicketID)
	add(Field{Key: "ticket_price", Label: "Ticket price", Category: CategoryPosition, Type: TypeNumber}, true, x.ticketPrice)
	add(Field{Key: "ticket_tax_rate", Label: "Tax rate (%)", Category: CategoryPosition, Type: TypeNumber}, true, x.ticketTaxRate)
	add(Field{Key: "ticket_quantity", Label: "Quantity (1 per position)", Category: CategoryPosition, Type: TypeNumber}, true, x.ticketQuantity)
	add(Field{Key: "ticket_status", Label: "Ticket status", Category: CategoryPosition, Type: TypeChoice, Options: orderStatusOptions}, true, x.ticketStatus)
	add(Field{Key: "voucher_code", Label: "Voucher code", Category: CategoryPosition, Type: TypeText}, true, x.voucherCode)

	// Attendee details
	as := x.attendeeScheme
	add(Field{Key: "attendee_name", Label: "Attendee name", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeName)
	for _, p := range as.Parts {
		add(Field{Key: "attendee_name_" + p.Key, Label: "Attendee: " + p.Label, Category: CategoryAttendee, Type: TypeText,
			Deprecated: len(as.Parts) == 1}, true, x.attendeeNamePart(p.Key))
	}
	if !as.HasPart("given_name") {
		add(Field{Key: "attendee_name_given_name", Label: "Attendee: Given name (⚠️ auto-generated, not recommended)",
			Category: CategoryAttendee, Type: TypeText, Deprecated: true}, true, x.attendeeSplit(false))
	}
	if !as.HasPart("family_name") {
		add(Field{Key: "attendee_name_family_name", Label: "Attendee: Family name (⚠️ auto-generated, not recommended)",
			Category: CategoryAttendee, Type: TypeText, Deprecated: true}, true, x.attendeeSplit(true))
	}
	add(Field{Key: "attendee_email", Label: "Attendee email", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeEmail)
	add(Field{Key: "attendee_or_order_email", Label: "Attendee or order email", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeOrOrderEmail)
	add(Field{Key: "attendee_company", Label: "Attendee company", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeText(func(p *pretixwire.Position) string { return p.Company }))
	add(Field{Key: "attendee_street", Label: "Attendee address street", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeText(func(p *pretixwire.Position) string { return p.Street }))
	add(Field{Key: "attendee_zipcode", Label: "Attendee address ZIP code", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeText(func(p *pretixwire.Position) string { return p.Zipcode }))
	add(Field{Key: "attendee_city", Label: "Attendee address city", Category: CategoryAttendee, Type: TypeText}, true, x.attendeeText(func(p *pretixwire.Position) string { return p.City }))
	add(Field{Key: "attendee_country", Label: "Attendee address country", Category: CategoryAttendee, Type: TypeCountry}, true, x.attendeeCountry)

	// Questions
	for i := range x.questions {
		q := x.questions[i]
		qt := Type(q.Type)
		if qt == TypeFile || !qt.Valid() || q.Identifier == "" {
			continue
		}
		f := Field{Key: "question_" + q.Identifier, Label: "Question: " + q.Question.Display(x.locale),
			Category: CategoryQuestions, Type: qt}
		if qt.IsChoice() {
			opts := append([]pretixwire.QuestionOption(nil), q.Options...)
			sort.SliceStable(opts, func(a, b int) bool { return opts[a].Position < opts[b].Position })
			for _, o := range opts {
				f.Options = append(f.Options, Option{Value: o.Identifier, Label: o.Answer.Display(x.locale)})
			}
		}
		add(f, true, x.question(q))
	}

	// Check-in
	for _, l := range ev.CheckinLists {
		add(Field{Key: "checkin_date_" + strconv.FormatInt(l.ID, 10), Label: fmt.Sprintf("Check-in datetime on list %s", l.Name),
			Category: CategoryCheckin, Type: TypeDateTime}, true, x.firstCheckin(l.ID))
	}

	// Product details
	add(Field{Key: "product", Label: "Product and variation name", Category: CategoryProduct, Type: TypeText}, true, x.productName)
	add(Field{Key: "product_id", Label: "Product ID", Category: CategoryProduct, Type: TypeNumber}, true, x.productID)
	add(Field{Key: "product_sku", Label: "Product SKU (event, product and variation)", Category: CategoryProduct, Type: TypeText}, true, x.productSKU)
	add(Field{Key: "product_is_admission", Label: "Product is admission product", Category: CategoryProduct, Type: TypeBool}, true, x.productIsAdmission)

	// Order details
	add(Field{Key: "email", Label: "Order email", Category: CategoryOrder, Type: TypeText}, false, x.orderEmail)
	add(Field{Key: "email_domain", Label: "Order email domain", Category: CategoryOrder, Type: TypeText}, false, x.orderEmailDomain)
	add(Field{Key: "phone", Label: "Order phone number", Category: CategoryOrder, Type: TypePhone}, false, x.orderPhone)
	add(Field{Key: "order_code", Label: "Order code", Category: CategoryOrder, Type: TypeText}, false, x.orderCode)
	add(Field{Key: "event_order_code", Label: "Event and order code", Category: CategoryOrder, Type: TypeText}, false, x.eventOrderCode)
	add(Field{Key: "order_total", Label: "Order total", Category: CategoryOrder, Type: TypeNumber}, false, x.orderTotal)
	add(Field{Key: "order_refunded_amount", Label: "Refunded amount", Category: CategoryOrder, Type: TypeNumber}, false, x.orderRefunded)
	add(Field{Key: "order_status", Label: "Order status", Category: CategoryOrder, Type: TypeChoice, Options: orderStatusOptions}, false, x.orderStatus)
	add(Field{Key: "order_date", Label: "Order date and time", Category: CategoryOrder, Type: TypeDateTime}, false, x.orderDate)
	add(Field{Key: "payment_date", Label: "Payment date and time", Category: CategoryOrder, Type: TypeDateTime}, false, x.paymentDate)
	add(Field{Key: "order_locale", Label: "Order locale", Category: CategoryOrder, Type: TypeChoice, Options: localeOptions(ev.Locales)}, false, x.orderLocale)
	add(Field{Key: "presale_order_url", Label: "Order link", Category: CategoryOrder, Type: TypeText, Sensitive: true}, false, x.orderURL)

	// Invoice address
	is := x.invoiceScheme
	add(Field{Key: "invoice_address_company", Label: "Invoice address company", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.Company }))
	add(Field{Key: "invoice_address_name", Label: "Invoice address name", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceName)
	for _, p := range is.Parts {
		add(Field{Key: "invoice_address_name_" + p.Key, Label: "Invoice address: " + p.Label, Category: CategoryInvoice, Type: TypeText,
			Deprecated: len(is.Parts) == 1}, false, x.invoiceNamePart(p.Key))
	}
	if !is.HasPart("given_name") {
		add(Field{Key: "invoice_address_name_given_name", Label: "Invoice address: Given name (⚠️ auto-generated, not recommended)",
			Category: CategoryInvoice, Type: TypeText, Deprecated: true}, false, x.invoiceSplit(false))
	}
	if !is.HasPart("family_name") {
		add(Field{Key: "invoice_address_name_family_name", Label: "Invoice address: Family name (⚠️ auto-generated, not recommended)",
			Category: CategoryInvoice, Type: TypeText, Deprecated: true}, false, x.invoiceSplit(true))
	}
	add(Field{Key: "invoice_address_street", Label: "Invoice address street", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.Street }))
	add(Field{Key: "invoice_address_zipcode", Label: "Invoice address ZIP code", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.Zipcode }))
	add(Field{Key: "invoice_address_city", Label: "Invoice address city", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.City }))
	add(Field{Key: "invoice_address_state", Label: "Invoice address state", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.State }))
	add(Field{Key: "invoice_address_country", Label: "Invoice address country", Category: CategoryInvoice, Type: TypeCountry}, false, x.invoiceCountry)
	add(Field{Key: "invoice_address_vat_id", Label: "Invoice address VAT ID", Category: CategoryInvoice, Type: TypeText}, false, x.invoiceText(func(a *pretixwire.InvoiceAddress) string { return a.VATID }))

	// Event
	add(Field{Key: "event_slug", Label: "Event short form", Category: CategoryEvent, Type: TypeText}, false, x.eventSlug)
	add(Field{Key: "event_name", Label: "Event name", Category: CategoryEvent, Type: TypeText}, false, x.eventName)
	// A choice of one, so it can be mapped onto HubSpot's currency options.
	add(Field{Key: "event_currency", Label: "Event currency", Category: CategoryEvent, Type: TypeChoice,
		Options: []Option{{Value: ev.Currency, Label: ev.Currency}}}, false, x.eventCurrency)
	// For a series the dates come from the position's date, so order
	// mappings can only read them when the event is a single date.
	add(Field{Key: "event_date_from", Label: "Event start date", Category: CategoryEventOrDate, Type: TypeDateTime}, ev.HasSubevents, x.eventDate(false))
	add(Field{Key: "event_date_to", Label: "Event end date", Category: CategoryEventOrDate, Type: TypeDateTime}, ev.HasSubevents, x.eventDate(true))

	sort.SliceStable(ds, func(a, b int) bool { return ds[a].Category.Sort() < ds[b].Category.Sort() })
	return ds
}

// languageNames labels common pretix locales; others show their code.
var languageNames = map[string]string{
	"ar": "Arabic", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German", "de-informal": "German (informal)",
	"el": "Greek", "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French", "it": "Italian", "ja": "Japanese",
	"lv": "Latvian", "nl": "Dutch", "nl-informal": "Dutch (informal)", "pl": "Polish", "pt-br": "Portuguese (Brazil)",
	"pt-pt": "Portuguese (Portugal)", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "tr": "Turkish",
	"uk": "Ukrainian", "zh-hans": "Chinese (simplified)", "zh-hant": "Chinese (traditional)",
}

func localeOptions(locales []string) []Option {
	out := make([]Option, 0, len(locales))
	for _, l := range locales {
		label := languageNames[l]
		if label == "" {
			label = l
		}
		out = append(out, Option{Value: l, Label: label})
	}
	return out
}

// MarshalJSON adds the display texts the field picker needs (category and
// type labels, category sort index, "Label [Type]") so API handlers can
// serve fields as they are.
func (f Field) MarshalJSON() ([]byte, error) {
	type plain Field
	return json.Marshal(struct {
		plain
		CategoryLabel string `json:"category_label"`
		CategorySort  int    `json:"category_sort"`
		TypeLabel     string `json:"type_label"`
		PickerLabel   string `json:"picker_label"`
	}{plain(f), f.Category.Label(), f.Category.Sort(), f.Type.Label(), f.PickerLabel()})
}
