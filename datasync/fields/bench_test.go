package fields

import (
	"bytes"
	"fmt"
	"pretix-hubspot/pretixwire"
	"testing"
)

// benchOrders returns n raw orders: the fixture order with distinct codes
// and buyer emails, so nothing is shared between them.
func benchOrders(b *testing.B, n int) [][]byte {
	tmpl := readTestdata(b, "orders", "Q7XK9_paid_addon.json")
	out := make([][]byte, n)
	for i := range out {
		code := []byte(fmt.Sprintf("B%04X", i))
		raw := bytes.ReplaceAll(tmpl, []byte("Q7XK9"), code)
		raw = bytes.Replace(raw, []byte("Zoe.Angstrom@"), []byte(fmt.Sprintf("Buyer%d@", i)), 1)
		out[i] = raw
	}
	return out
}

// The standard mapping set: an Order → contact/deal mapping with five
// fields and an Order position → contact mapping with five per position.
var (
	benchOrderKeys    = []string{"email", "invoice_address_name_given_name", "invoice_address_name_family_name", "order_total", "payment_date"}
	benchPositionKeys = []string{"attendee_email", "attendee_name_given_name", "attendee_name_family_name", "question_DIET", "ticket_status"}
)

func benchGetters(b *testing.B, r *Resolver) (order, position []Getter) {
	for _, k := range benchOrderKeys {
		g, err := r.Getter(k, ObjectOrder)
		if err != nil {
			b.Fatal(err)
		}
		order = append(order, g)
	}
	for _, k := range benchPositionKeys {
		g, err := r.Getter(k, ObjectPosition)
		if err != nil {
			b.Fatal(err)
		}
		position = append(position, g)
	}
	return order, position
}

func extractAll(b *testing.B, o *pretixwire.Order, og, pg []Getter) int {
	n := 0
	for _, g := range og {
		v, err := g.Value(Context{Order: o})
		if err != nil {
			b.Fatal(err)
		}
		if !v.IsEmpty() {
			n++
		}
	}
	for i := range o.Positions {
		c := Context{Order: o, Position: &o.Positions[i]}
		for _, g := range pg {
			v, err := g.Value(c)
			if err != nil {
				b.Fatal(err)
			}
			if !v.IsEmpty() {
				n++
			}
		}
	}
	return n
}

// BenchmarkExtract10kOrders measures value extraction alone (orders decoded
// once beforehand): 5 order fields plus 5 fields for each of 3 positions.
func BenchmarkExtract10kOrders(b *testing.B) {
	const n = 10000
	r := NewResolver(devcon(b))
	og, pg := benchGetters(b, r)
	orders := make([]*pretixwire.Order, n)
	for i, raw := range benchOrders(b, n) {
		o, err := pretixwire.DecodeOrder(raw)
		if err != nil {
			b.Fatal(err)
		}
		orders[i] = o
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		for _, o := range orders {
			got += extractAll(b, o, og, pg)
		}
		if got != n*19 {
			b.Fatalf("%d non-empty values, want %d", got, n*19)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/order")
}

// BenchmarkDecodeAndExtract10kOrders adds decoding the stored order JSON,
// which is what a sync batch really pays per order.
func BenchmarkDecodeAndExtract10kOrders(b *testing.B) {
	const n = 10000
	r := NewResolver(devcon(b))
	og, pg := benchGetters(b, r)
	raws := benchOrders(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, raw := range raws {
			o, err := pretixwire.DecodeOrder(raw)
			if err != nil {
				b.Fatal(err)
			}
			extractAll(b, o, og, pg)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/order")
}
