package fields

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretixwire"
)

// Getters of order, invoice address and event fields.

func (x *index) orderEmail(c Context) (Value, error) {
	return StringValue(c.Order.NormalizedEmail()), nil
}

func (x *index) orderEmailDomain(c Context) (Value, error) {
	return StringValue(pretixwire.EmailDomain(c.Order.NormalizedEmail())), nil
}

func (x *index) orderPhone(c Context) (Value, error) {
	return StringValue(strings.TrimSpace(c.Order.Phone)), nil
}

func (x *index) orderCode(c Context) (Value, error) { return StringValue(c.Order.Code), nil }

func (x *index) eventOrderCode(c Context) (Value, error) {
	if c.Order.Code == "" {
		return Value{}, nil
	}
	if x.codePrefix != "" {
		return StringValue(x.codePrefix + c.Order.Code), nil
	}
	return StringValue(c.Order.FullCode(c.Order.Event)), nil
}

func (x *index) orderTotal(c Context) (Value, error) {
	return NumberValue(strings.TrimSpace(c.Order.Total)), nil
}

func (x *index) orderStatus(c Context) (Value, error) { return ChoiceValue(c.Order.Status), nil }

func (x *index) orderDate(c Context) (Value, error) { return DateTimeValue(c.Order.Datetime), nil }

// paymentDate is when the latest completed payment was confirmed; a
// payment refunded later still counts, because it was paid. Empty while the
// order is pending, whatever its payments say; the deprecated order-level
// payment_date (a date only, often wrong) is not used.
func (x *index) paymentDate(c Context) (Value, error) {
	if c.Order.Status == "n" {
		return Value{}, nil
	}
	var latest time.Time
	for i := range c.Order.Payments {
		p := &c.Order.Payments[i]
		if (p.State == "confirmed" || p.State == "refunded") && p.PaymentDate != nil && p.PaymentDate.After(latest) {
			latest = *p.PaymentDate
		}
	}
	return DateTimeValue(latest), nil
}

func (x *index) orderLocale(c Context) (Value, error) { return ChoiceValue(c.Order.Locale), nil }

func (x *index) orderURL(c Context) (Value, error) { return StringValue(c.Order.CustomerURL()), nil }

func (x *index) invoiceText(get func(*pretixwire.InvoiceAddress) string) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		if c.Order.InvoiceAddress == nil {
			return Value{}, nil
		}
		return StringValue(strings.TrimSpace(get(c.Order.InvoiceAddress))), nil
	}
}

func (x *index) invoiceName(c Context) (Value, error) {
	a := c.Order.InvoiceAddress
	if a == nil {
		return Value{}, nil
	}
	return StringValue(displayName(a.Name, a.NameParts, x.invoiceScheme)), nil
}

func (x *index) invoiceNamePart(key string) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		a := c.Order.InvoiceAddress
		if a == nil {
			return Value{}, nil
		}
		return StringValue(namePart(a.Name, a.NameParts, x.invoiceScheme, key)), nil
	}
}

func (x *index) invoiceSplit(family bool) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		a := c.Order.InvoiceAddress
		if a == nil {
			return Value{}, nil
		}
		return StringValue(guessNamePart(a.Name, a.NameParts, x.invoiceScheme, family)), nil
	}
}

func (x *index) invoiceCountry(c Context) (Value, error) {
	if c.Order.InvoiceAddress == nil {
		return Value{}, nil
	}
	return StringValue(upperASCII(strings.TrimSpace(c.Order.InvoiceAddress.Country))), nil
}

func (x *index) eventSlug(c Context) (Value, error) { return StringValue(x.ev.Slug), nil }

func (x *index) eventName(c Context) (Value, error) { return StringValue(x.eventTitle), nil }

// eventDate reads the position's date for event series, else the event's.
func (x *index) eventDate(end bool) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		from, to := x.ev.DateFrom, x.ev.DateTo
		if c.Position != nil && c.Position.Subevent != 0 {
			se, ok := x.subevents[c.Position.Subevent]
			if !ok {
				return Value{}, errStale("event date", c.Position.Subevent, x.ev.Slug)
			}
			from, to = se.DateFrom, se.DateTo
		}
		if end {
			return DateTimeValue(to), nil
		}
		return DateTimeValue(from), nil
	}
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

func (x *index) eventCurrency(c Context) (Value, error) { return ChoiceValue(x.ev.Currency), nil }

// orderRefunded adds the refunds pretix has carried out ("done"); refunds
// still in transit, failed or canceled have not returned any money yet.
func (x *index) orderRefunded(c Context) (Value, error) {
	sum := new(big.Rat)
	for _, r := range c.Order.Refunds {
		if r.State != "done" {
			continue
		}
		a, ok := new(big.Rat).SetString(strings.TrimSpace(r.Amount))
		if !ok {
			return Value{}, apperr.Invalid(CodeValueMalformed, fmt.Sprintf(
				"Refund %d of order %s has the amount %q, which is not a number. Correct it in pretix and sync the order again.",
				r.LocalID, c.Order.Code, r.Amount))
		}
		sum.Add(sum, a)
	}
	return NumberValue(sum.FloatString(2)), nil
}
