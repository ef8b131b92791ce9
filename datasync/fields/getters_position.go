package fields

import (
	"pretix-hubspot/pretixwire"
	"strconv"
	"strings"
)

// Getters of ticket, attendee and product fields. Add-on positions take
// attendee data the add-on lacks from their parent ticket, as pretix does.

func (x *index) ticketID(c Context) (Value, error) {
	return StringValue(c.Order.Code + "-" + strconv.Itoa(c.Position.PositionID)), nil
}

// eventTicketID names one position across the organizer's events: the
// line item key, as event_order_code is the deal's.
func (x *index) eventTicketID(c Context) (Value, error) {
	v, err := x.eventOrderCode(c)
	if err != nil || v.IsEmpty() {
		return v, err
	}
	return StringValue(v.Text() + "-" + strconv.Itoa(c.Position.PositionID)), nil
}

func (x *index) positionID(c Context) (Value, error) {
	return NumberValue(strconv.FormatInt(c.Position.ID, 10)), nil
}

func (x *index) ticketPrice(c Context) (Value, error) {
	return NumberValue(strings.TrimSpace(c.Position.Price)), nil
}

func (x *index) ticketStatus(c Context) (Value, error) {
	if c.Position.Canceled {
		return ChoiceValue("c"), nil
	}
	return ChoiceValue(c.Order.Status), nil
}

// voucherCode is empty when the voucher list was not stored (the token
// may not read vouchers); the order itself only carries the voucher id.
func (x *index) voucherCode(c Context) (Value, error) {
	if c.Position.Voucher == 0 {
		return Value{}, nil
	}
	return StringValue(x.ev.VoucherCodes[c.Position.Voucher]), nil
}

func hasAttendeeName(p *pretixwire.Position) bool {
	return strings.TrimSpace(p.AttendeeName) != "" || !p.AttendeeNameParts.Empty()
}

// nameSource picks whose name an attendee field shows. The whole name comes
// from one position, so an add-on never mixes its own given name with the
// parent's family name.
func (x *index) nameSource(c Context) *pretixwire.Position {
	p := c.Position
	if hasAttendeeName(p) {
		return p
	}
	if par := c.Order.Parent(p); par != nil && hasAttendeeName(par) {
		return par
	}
	return p
}

// displayName prefers pretix's own rendering and builds one from the parts
// (under the scheme they were entered with) only when it is missing.
func displayName(name string, parts pretixwire.NameParts, fallback *NameScheme) string {
	if n := strings.TrimSpace(name); n != "" {
		return n
	}
	if parts.Empty() {
		return ""
	}
	s, ok := nameSchemes[parts.Scheme()]
	if !ok {
		s = fallback
	}
	return s.Join(parts)
}

func namePart(name string, parts pretixwire.NameParts, scheme *NameScheme, key string) string {
	v := strings.TrimSpace(parts[key])
	if v == "" && key == "full_name" {
		v = displayName(name, parts, scheme)
	}
	return v
}

func (x *index) attendeeName(c Context) (Value, error) {
	p := x.nameSource(c)
	return StringValue(displayName(p.AttendeeName, p.AttendeeNameParts, x.attendeeScheme)), nil
}

func (x *index) attendeeNamePart(key string) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		p := x.nameSource(c)
		return StringValue(namePart(p.AttendeeName, p.AttendeeNameParts, x.attendeeScheme, key)), nil
	}
}

func (x *index) attendeeSplit(family bool) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		p := x.nameSource(c)
		return StringValue(guessNamePart(p.AttendeeName, p.AttendeeNameParts, x.attendeeScheme, family)), nil
	}
}

// guessNamePart serves the auto-generated given/family fields of schemes
// without such parts. Names entered under an older scheme that had them
// keep their real parts; only the rest are split heuristically.
func guessNamePart(name string, parts pretixwire.NameParts, scheme *NameScheme, family bool) string {
	if strings.TrimSpace(parts["given_name"]) != "" || strings.TrimSpace(parts["family_name"]) != "" {
		if family {
			return strings.TrimSpace(parts["family_name"])
		}
		return strings.TrimSpace(parts["given_name"])
	}
	g, f := splitLegacyName(displayName(name, parts, scheme))
	if family {
		return f
	}
	return g
}

// inherited returns the position's own text, else its parent's.
func inherited(c Context, get func(*pretixwire.Position) string) string {
	if v := strings.TrimSpace(get(c.Position)); v != "" {
		return v
	}
	if par := c.Order.Parent(c.Position); par != nil {
		return strings.TrimSpace(get(par))
	}
	return ""
}

// inheritedEmail is the position's normalised attendee email, else its parent's.
func inheritedEmail(c Context) string {
	if e := c.Order.AttendeeEmail(c.Position); e != "" {
		return e
	}
	if par := c.Order.Parent(c.Position); par != nil {
		return c.Order.AttendeeEmail(par)
	}
	return ""
}

func (x *index) attendeeEmail(c Context) (Value, error) {
	return StringValue(inheritedEmail(c)), nil
}

func (x *index) attendeeOrOrderEmail(c Context) (Value, error) {
	if e := inheritedEmail(c); e != "" {
		return StringValue(e), nil
	}
	return StringValue(c.Order.NormalizedEmail()), nil
}

func (x *index) attendeeText(get func(*pretixwire.Position) string) func(c Context) (Value, error) {
	return func(c Context) (Value, error) { return StringValue(inherited(c, get)), nil }
}

// attendeeCountry falls back to the parent's country (pretix reads the
// parent's name here by mistake).
func (x *index) attendeeCountry(c Context) (Value, error) {
	return StringValue(upperASCII(inherited(c, func(p *pretixwire.Position) string { return p.Country }))), nil
}

func (x *index) productName(c Context) (Value, error) {
	p := c.Position
	if name, ok := x.products[[2]int64{p.Item, p.Variation}]; ok {
		return StringValue(name), nil
	}
	if _, ok := x.items[p.Item]; !ok {
		return Value{}, errStale("product", p.Item, x.ev.Slug)
	}
	return Value{}, errStale("product variation", p.Variation, x.ev.Slug)
}

func (x *index) productID(c Context) (Value, error) {
	if it, ok := x.items[c.Position.Item]; ok {
		return NumberValue(it.id), nil
	}
	return NumberValue(strconv.FormatInt(c.Position.Item, 10)), nil
}

func (x *index) productIsAdmission(c Context) (Value, error) {
	it, ok := x.items[c.Position.Item]
	if !ok {
		return Value{}, errStale("product", c.Position.Item, x.ev.Slug)
	}
	return BoolValue(it.admission), nil
}

// ticketQuantity is 1: a pretix position is one ticket or add-on, and a
// line item without a quantity would count for nothing in a deal's amount.
func (x *index) ticketQuantity(c Context) (Value, error) { return NumberValue("1"), nil }

// productSKU names the product and variation uniquely within the
// organizer's events, e.g. "CONF-P12-V3": a HubSpot product shared by the
// event's line items.
func (x *index) productSKU(c Context) (Value, error) {
	p := c.Position
	s := x.codePrefix + "P" + strconv.FormatInt(p.Item, 10)
	if p.Variation != 0 {
		s += "-V" + strconv.FormatInt(p.Variation, 10)
	}
	return StringValue(s), nil
}

func (x *index) ticketTaxRate(c Context) (Value, error) {
	return NumberValue(strings.TrimSpace(c.Position.TaxRate)), nil
}
