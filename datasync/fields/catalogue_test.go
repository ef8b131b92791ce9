package fields

import (
	"fmt"
	"strings"
	"testing"
)

// wantDevconCatalogue is the hand-written golden catalogue of the fixture
// event: key, type, category, and "O" when Order mappings may use it
// (Order position mappings may use every field).
var wantDevconCatalogue = []string{
	"ticket_id S position",
	"position_id N position",
	"event_ticket_id S position",
	"ticket_price N position",
	"ticket_tax_rate N position",
	"ticket_quantity N position",
	"ticket_status C position",
	"voucher_code S position",
	"attendee_name S attendee",
	"attendee_name_title S attendee",
	"attendee_name_given_name S attendee",
	"attendee_name_middle_name S attendee",
	"attendee_name_family_name S attendee",
	"attendee_email S attendee",
	"attendee_or_order_email S attendee",
	"attendee_company S attendee",
	"attendee_street S attendee",
	"attendee_zipcode S attendee",
	"attendee_city S attendee",
	"attendee_country CC attendee",
	"question_TSHIRT C questions",
	"question_DIET M questions",
	"question_NEWSLETTER B questions",
	"question_JOBTITLE S questions",
	"question_BIO T questions",
	"question_YEARS N questions",
	"question_BIRTHDAY D questions",
	"question_ARRIVAL W questions",
	"question_SLOT H questions",
	"question_NATIONALITY CC questions",
	"question_MOBILE TEL questions",
	"question_PHOTO_OK B questions",
	"question_SALES_NOTE S questions",
	"checkin_date_44 W checkin",
	"checkin_date_45 W checkin",
	"product S product",
	"product_id N product",
	"product_sku S product",
	"product_is_admission B product",
	"email S order O",
	"email_domain S order O",
	"phone TEL order O",
	"order_code S order O",
	"event_order_code S order O",
	"order_total N order O",
	"order_refunded_amount N order O",
	"order_status C order O",
	"order_date W order O",
	"payment_date W order O",
	"order_locale C order O",
	"presale_order_url S order O",
	"invoice_address_company S invoice_address O",
	"invoice_address_name S invoice_address O",
	"invoice_address_name_title S invoice_address O",
	"invoice_address_name_given_name S invoice_address O",
	"invoice_address_name_middle_name S invoice_address O",
	"invoice_address_name_family_name S invoice_address O",
	"invoice_address_street S invoice_address O",
	"invoice_address_zipcode S invoice_address O",
	"invoice_address_city S invoice_address O",
	"invoice_address_state S invoice_address O",
	"invoice_address_country CC invoice_address O",
	"invoice_address_vat_id S invoice_address O",
	"event_slug S event O",
	"event_name S event O",
	"event_currency C event O",
	"event_date_from W event_or_date O",
	"event_date_to W event_or_date O",
}

func describe(f Field) string {
	s := fmt.Sprintf("%s %s %s", f.Key, f.Type, f.Category)
	if f.AvailableIn(ObjectOrder) {
		s += " O"
	}
	return s
}

func TestCatalogueGolden(t *testing.T) {
	got := Catalogue(devcon(t))
	var lines []string
	for _, f := range got {
		lines = append(lines, describe(f))
		if !f.AvailableIn(ObjectPosition) {
			t.Errorf("%s: every field must be available to pretixwire.Order position mappings", f.Key)
		}
		if f.Deprecated {
			t.Errorf("%s: nothing is deprecated under a four-part scheme", f.Key)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(wantDevconCatalogue, "\n") {
		t.Errorf("catalogue differs.\n got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantDevconCatalogue, "\n"))
	}
}

func TestCatalogueLabelsAndOptions(t *testing.T) {
	r := NewResolver(devcon(t))
	tests := []struct {
		key, label, picker string
		options            []Option
		sensitive          bool
	}{
		{key: "email", label: "Order email", picker: "Order email [Text (one line)]"},
		{key: "attendee_name_given_name", label: "Attendee: First name"},
		{key: "attendee_name_title", label: "Attendee: Title"},
		{key: "invoice_address_name_middle_name", label: "Invoice address: Middle name"},
		{key: "question_JOBTITLE", label: "Question: Job title", picker: "Question: Job title [Text (one line)]"},
		{key: "question_TSHIRT", label: "Question: T-shirt size",
			options: []Option{{"SIZE-S", "S"}, {"SIZE-M", "M"}, {"SIZE-L", "L"}}},
		{key: "question_DIET", label: "Question: Dietary requirements", picker: "Question: Dietary requirements [Choose multiple from a list]",
			options: []Option{{"VEG", "Vegetarian"}, {"VEGAN", "Vegan"}, {"GF", "Gluten-free"}}},
		{key: "checkin_date_45", label: "Check-in datetime on list Workshop room", picker: "Check-in datetime on list Workshop room [Date and time]"},
		{key: "order_status", label: "Order status",
			options: []Option{{"n", "Pending"}, {"p", "Paid"}, {"e", "Expired"}, {"c", "Canceled"}}},
		{key: "ticket_status", label: "Ticket status",
			options: []Option{{"n", "Pending"}, {"p", "Paid"}, {"e", "Expired"}, {"c", "Canceled"}}},
		{key: "order_locale", label: "Order locale", options: []Option{{"en", "English"}, {"de", "German"}}},
		{key: "presale_order_url", label: "Order link", sensitive: true},
		{key: "question_NATIONALITY", picker: "Question: Nationality [Country code (ISO 3166-1 alpha-2)]"},
		{key: "question_MOBILE", picker: "Question: Mobile number [Phone number]"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			f, ok := r.Field(tc.key)
			if !ok {
				t.Fatalf("field %s missing", tc.key)
			}
			if tc.label != "" && f.Label != tc.label {
				t.Errorf("label %q, want %q", f.Label, tc.label)
			}
			if tc.picker != "" && f.PickerLabel() != tc.picker {
				t.Errorf("picker label %q, want %q", f.PickerLabel(), tc.picker)
			}
			if fmt.Sprint(f.Options) != fmt.Sprint(tc.options) {
				t.Errorf("options %v, want %v", f.Options, tc.options)
			}
			if f.Sensitive != tc.sensitive {
				t.Errorf("sensitive %v, want %v", f.Sensitive, tc.sensitive)
			}
		})
	}
}

func TestCatalogueNeverOffersSecretsOrFiles(t *testing.T) {
	for _, f := range Catalogue(devcon(t)) {
		k := strings.ToLower(f.Key)
		if strings.Contains(k, "secret") || f.Key == "question_CV" || f.Type == TypeFile {
			t.Errorf("field %s must not be offered", f.Key)
		}
		if f.Sensitive && f.Key != "presale_order_url" {
			t.Errorf("unexpected sensitive field %s", f.Key)
		}
	}
}

func TestCatalogueSinglePartSchemeIsDeprecatedAndAutoSplit(t *testing.T) {
	ev := devcon(t)
	ev.NameScheme = "full"
	byKey := map[string]Field{}
	var order []string
	for _, f := range Catalogue(ev) {
		byKey[f.Key] = f
		if f.Category == CategoryAttendee {
			order = append(order, f.Key)
		}
	}
	want := []string{"attendee_name", "attendee_name_full_name", "attendee_name_given_name", "attendee_name_family_name"}
	if strings.Join(order[:4], ",") != strings.Join(want, ",") {
		t.Errorf("attendee fields start %v, want %v", order[:4], want)
	}
	for _, k := range []string{"attendee_name_full_name", "attendee_name_given_name", "attendee_name_family_name",
		"invoice_address_name_full_name", "invoice_address_name_given_name", "invoice_address_name_family_name"} {
		f, ok := byKey[k]
		if !ok {
			t.Fatalf("%s missing", k)
		}
		if !f.Deprecated {
			t.Errorf("%s should be deprecated", k)
		}
	}
	if got := byKey["attendee_name_given_name"].Label; got != "Attendee: Given name (⚠️ auto-generated, not recommended)" {
		t.Errorf("label %q", got)
	}
	if byKey["attendee_name"].Deprecated {
		t.Error("attendee_name is never deprecated")
	}
	if _, ok := byKey["attendee_name_title"]; ok {
		t.Error("a full-name scheme has no title field")
	}
}

func TestCatalogueNameSchemes(t *testing.T) {
	tests := []struct {
		scheme string
		parts  string
	}{
		{"given_family", "given_name family_name"},
		{"title_given_family", "title given_name family_name"},
		{"given_middle_family", "given_name middle_name family_name"},
		{"title_given_middle_family", "title given_name middle_name family_name"},
		{"family_given", "family_name given_name"},
		{"family_nospace_given", "given_name family_name"},
		{"family_comma_given", "given_name family_name"},
		{"full", "full_name given_name* family_name*"},
		{"calling_full", "calling_name full_name given_name* family_name*"},
		{"full_transcription", "full_name latin_transcription given_name* family_name*"},
		{"salutation_given_family", "salutation given_name family_name"},
		{"salutation_title_given_family", "salutation title given_name family_name"},
		{"salutation_title_given_family_degree", "salutation title given_name family_name degree"},
		{"no_such_scheme", "full_name given_name* family_name*"},
	}
	for _, tc := range tests {
		t.Run(tc.scheme, func(t *testing.T) {
			ev := EventInfo{Slug: "x", NameScheme: tc.scheme}
			var got []string
			for _, f := range Catalogue(ev) {
				if f.Category != CategoryInvoice || !strings.HasPrefix(f.Key, "invoice_address_name_") {
					continue
				}
				p := strings.TrimPrefix(f.Key, "invoice_address_name_")
				if strings.Contains(f.Label, "auto-generated") {
					p += "*"
				}
				got = append(got, p)
			}
			if strings.Join(got, " ") != tc.parts {
				t.Errorf("invoice name parts %q, want %q", strings.Join(got, " "), tc.parts)
			}
		})
	}
	if len(NameSchemeKeys()) != len(tests)-1 {
		t.Errorf("%d schemes known, the table tests %d", len(NameSchemeKeys()), len(tests)-1)
	}
}

func TestCatalogueInvoiceSchemeCanDiffer(t *testing.T) {
	ev := devcon(t)
	ev.InvoiceNameScheme = "given_family"
	r := NewResolver(ev)
	if _, ok := r.Field("invoice_address_name_title"); ok {
		t.Error("invoice fields must follow the invoice name scheme")
	}
	if _, ok := r.Field("attendee_name_title"); !ok {
		t.Error("attendee fields must keep the attendee name scheme")
	}
}

func TestCatalogueEventSeriesDatesNeedPosition(t *testing.T) {
	ev := devcon(t)
	ev.HasSubevents = true
	for _, f := range ForObject(Catalogue(ev), ObjectOrder) {
		if f.Category == CategoryEventOrDate {
			t.Errorf("%s must not be offered to pretixwire.Order mappings of an event series", f.Key)
		}
	}
	orderFields := ForObject(Catalogue(devcon(t)), ObjectOrder)
	var keys []string
	for _, f := range orderFields {
		if f.Category == CategoryEventOrDate {
			keys = append(keys, f.Key)
		}
	}
	if strings.Join(keys, ",") != "event_date_from,event_date_to" {
		t.Errorf("single-date event offers %v to pretixwire.Order mappings", keys)
	}
}

func TestForObjectOrderKeepsOnlyOrderAndEventFields(t *testing.T) {
	for _, f := range ForObject(Catalogue(devcon(t)), ObjectOrder) {
		switch f.Category {
		case CategoryOrder, CategoryInvoice, CategoryEvent, CategoryEventOrDate:
		default:
			t.Errorf("Order mapping offered %s (%s)", f.Key, f.Category)
		}
	}
}

func TestCategoryAndTypeLabels(t *testing.T) {
	cats := []Category{CategoryPosition, CategoryAttendee, CategoryQuestions, CategoryCheckin, CategoryProduct,
		CategoryOrder, CategoryInvoice, CategoryEvent, CategoryEventOrDate}
	for i := 1; i < len(cats); i++ {
		if cats[i-1].Sort() >= cats[i].Sort() {
			t.Errorf("%s must sort before %s", cats[i-1], cats[i])
		}
	}
	if CategoryOrder.Label() != "Order details" || CategoryEventOrDate.Label() != "Event or date information" {
		t.Error("category labels changed")
	}
	if TypeMultiChoice.Label() != "Choose multiple from a list" || Type("X").Valid() || !TypeCountry.Valid() {
		t.Error("type labels or validity wrong")
	}
	if ObjectPosition.Label() != "Order position" || !ObjectOrder.Valid() || ObjectType("Invoice").Valid() {
		t.Error("object type labels or validity wrong")
	}
}
