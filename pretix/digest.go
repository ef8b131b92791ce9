package pretix

import (
	"encoding/hex"
	"hash"
	"hash/fnv"
	"pretix-hubspot/pretixwire"
	"sort"
	"strconv"
	"strings"
)

// digest fingerprints the parts of an order that the change kinds cover, so
// ingest classifies a change without decoding the stored JSON again. It is
// change detection, not security: FNV-1a is enough.
type digest struct {
	h hash.Hash64
}

func newDigest() *digest { return &digest{h: fnv.New64a()} }

func (d *digest) s(v string) {
	d.h.Write([]byte(v))
	d.h.Write([]byte{0})
}

func (d *digest) i(v int64) { d.s(strconv.FormatInt(v, 10)) }

// id writes an optional pretix id; 0 (pretix's null) as "-", so stored
// fingerprints stay valid.
func (d *digest) id(v int64) {
	if v == 0 {
		d.s("-")
		return
	}
	d.i(v)
}

func (d *digest) b(v bool) {
	if v {
		d.s("1")
	} else {
		d.s("0")
	}
}

func (d *digest) m(v map[string]string) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.s(k)
		d.s(v[k])
	}
	d.s("}")
}

func (d *digest) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

func contentsHash(o *pretixwire.Order) string {
	d := newDigest()
	for _, p := range o.Positions {
		d.i(p.ID)
		d.i(int64(p.PositionID))
		d.i(p.Item)
		d.id(p.Variation)
		d.id(p.Subevent)
		d.s(p.Price)
		d.b(p.Canceled)
		d.id(p.AddonTo)
		d.s(string(p.Seat))
	}
	d.s("fees")
	for _, f := range o.Fees {
		d.i(f.ID)
		d.s(f.FeeType)
		d.s(f.Value)
		d.b(f.Canceled)
	}
	d.s(o.Total)
	// Refunds carried out change what the order is worth; orders without
	// one keep the digest they had before refunds counted.
	for _, r := range o.Refunds {
		if r.State == "done" {
			d.s("refund")
			d.i(int64(r.LocalID))
			d.s(r.Amount)
		}
	}
	return d.sum()
}

func contactHash(o *pretixwire.Order) string {
	d := newDigest()
	d.s(o.Email)
	d.s(o.Phone)
	d.s(o.Locale)
	if a := o.InvoiceAddress; a != nil {
		d.b(a.IsBusiness)
		for _, v := range []string{a.Company, a.Name, a.Street, a.Zipcode, a.City, a.Country, a.State, a.InternalReference, a.CustomField, a.VATID} {
			d.s(v)
		}
		d.m(a.NameParts)
	} else {
		d.s("no address")
	}
	for _, p := range o.Positions {
		d.i(p.ID)
		for _, v := range []string{p.AttendeeName, p.AttendeeEmail, p.Company, p.Street, p.Zipcode, p.City, p.Country, p.State} {
			d.s(v)
		}
		d.m(p.AttendeeNameParts)
		answers := append([]pretixwire.Answer(nil), p.Answers...)
		sort.Slice(answers, func(i, j int) bool { return answers[i].Question < answers[j].Question })
		for _, a := range answers {
			d.i(a.Question)
			d.s(a.Answer)
			d.s(strings.Join(a.OptionIdentifiers, "\x1f"))
		}
		d.s("]")
	}
	return d.sum()
}

func rawHash(raw []byte) string {
	d := newDigest()
	d.h.Write(raw)
	return d.sum()
}

// searchText is what the orders list searches: code, e-mails, names,
// company — lower-cased, each word once.
func searchText(o *pretixwire.Order) string {
	var parts []string
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.ToLower(strings.TrimSpace(v))
		if v != "" && !seen[v] {
			seen[v] = true
			parts = append(parts, v)
		}
	}
	add(o.Code)
	add(o.Email)
	add(o.Phone)
	if a := o.InvoiceAddress; a != nil {
		add(a.Name)
		add(a.Company)
	}
	for _, p := range o.Positions {
		add(p.AttendeeName)
		add(p.AttendeeEmail)
		add(p.Company)
	}
	s := strings.Join(parts, " ")
	if len(s) > 2000 {
		s = s[:2000]
	}
	return s
}

// displayName is the name the orders list shows.
func displayName(o *pretixwire.Order) string {
	if a := o.InvoiceAddress; a != nil {
		if a.Name != "" {
			return a.Name
		}
		if a.Company != "" {
			return a.Company
		}
	}
	for _, p := range o.Positions {
		if !p.Canceled && p.AttendeeName != "" {
			return p.AttendeeName
		}
	}
	return ""
}

// nameScheme returns the _scheme the order's names were entered under.
func nameScheme(o *pretixwire.Order) string {
	for _, p := range o.Positions {
		if s := p.AttendeeNameParts["_scheme"]; s != "" {
			return s
		}
	}
	if a := o.InvoiceAddress; a != nil {
		return a.NameParts["_scheme"]
	}
	return ""
}
