package pretixfake

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGeneratorIsRealistic(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 600)
	orders := allOrders(t, f.http.URL+"/api/v1/organizers/acme/orders/?include_canceled_positions=true")
	if len(orders) != 600 {
		t.Fatalf("%d orders", len(orders))
	}
	var (
		status                                        = map[string]int{}
		schemes                                       = map[string]int{}
		addons, canceledPos, noInvoice, free, testmod int
		idna, multi, unicodeNames, feeOnly, withCheck int
		answerTypes                                   = map[string]bool{}
	)
	for _, o := range orders {
		status[o.Status]++
		if o.Testmode {
			testmod++
		}
		if o.InvoiceAddress == nil {
			noInvoice++
		}
		if o.Total == "0.00" && o.Status == StatusPaid && len(o.Positions) > 0 && !o.Positions[0].Canceled {
			free++
		}
		if o.Email != nil && strings.ContainsFunc(*o.Email, func(r rune) bool { return r > 127 }) {
			idna++
		}
		var sum int64
		ids := map[int64]bool{}
		allCanceled := true
		for _, p := range o.Positions {
			ids[p.ID] = true
			if !p.Canceled {
				sum += cents(p.Price)
				allCanceled = false
			}
		}
		for _, fe := range o.Fees {
			if !fe.Canceled {
				sum += cents(fe.Value)
			}
		}
		if money(sum) != o.Total {
			t.Fatalf("order %s total %s, positions+fees %s", o.Code, o.Total, money(sum))
		}
		if allCanceled && o.Status == StatusPaid {
			feeOnly++
		}
		for _, p := range o.Positions {
			if p.AddonTo != nil {
				addons++
				if !ids[*p.AddonTo] {
					t.Fatalf("order %s: addon_to %d is not a position of the order", o.Code, *p.AddonTo)
				}
				if p.AttendeeName != nil {
					t.Fatalf("add-on with attendee name")
				}
			}
			if p.Canceled {
				canceledPos++
			}
			if len(p.Checkins) > 0 {
				withCheck++
			}
			if sc := p.AttendeeNameParts["_scheme"]; sc != "" {
				schemes[sc]++
			}
			if p.AttendeeName != nil && strings.ContainsFunc(*p.AttendeeName, func(r rune) bool { return r > 127 }) {
				unicodeNames++
			}
			for _, a := range p.Answers {
				if len(a.OptionIdentifiers) > 1 {
					multi++
				}
				answerTypes[a.QuestionIdentifier] = true
			}
		}
	}
	checks := []struct {
		what string
		n    int
	}{
		{"paid", status[StatusPaid]}, {"pending", status[StatusPending]}, {"expired", status[StatusExpired]},
		{"canceled", status[StatusCanceled]}, {"test mode", testmod}, {"no invoice address", noInvoice},
		{"free", free}, {"IDNA e-mail", idna}, {"add-ons", addons}, {"canceled positions", canceledPos},
		{"multiple-choice with 2+ options", multi}, {"unicode names", unicodeNames},
		{"paid with only a cancellation fee", feeOnly}, {"checked in", withCheck},
	}
	for _, c := range checks {
		if c.n == 0 {
			t.Errorf("no %s orders among 600", c.what)
		}
	}
	if len(schemes) < 2 || schemes["title_given_middle_family"] < 300 {
		t.Errorf("name schemes %v: want mostly the event's, some older ones", schemes)
	}
	for _, id := range []string{"TSHIRT", "DIET", "NEWSLETTER", "JOBTITLE", "BIO", "YEARS", "ARRIVAL", "SLOT", "FLIGHT", "CV", "COUNTRY", "MOBILE"} {
		if !answerTypes[id] {
			t.Errorf("no answers to %s", id)
		}
	}
	if answerTypes["BADGE"] {
		t.Errorf("check-in question answered at checkout")
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	gen := func() []Order {
		f := newFixture(t, Options{NoRateLimit: true}, 0)
		if _, err := f.srv.GenerateOrders("acme", "conf", 50, rand.New(rand.NewSource(42))); err != nil {
			t.Fatal(err)
		}
		var out []Order
		for _, ref := range f.srv.Orders("acme") {
			o, _ := f.srv.Order("acme", ref.Event, ref.Code)
			out = append(out, o)
		}
		return out
	}
	a, b := gen(), gen()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and clock gave different orders")
	}
}

func TestRunTimeChangesBumpLastModified(t *testing.T) {
	f := newFixture(t, Options{NoRateLimit: true}, 0)
	o, err := f.srv.PlaceRandomOrder("acme", "conf", rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if !time.Time(o.Datetime).Equal(t0) || !time.Time(o.LastModified).Equal(t0) {
		t.Fatalf("placed at %v / %v, want the clock's now", o.Datetime, o.LastModified)
	}
	steps := []struct {
		name   string
		do     func() (Order, error)
		status string
	}{
		{"modify", func() (Order, error) {
			return f.srv.ModifyOrder("acme", "conf", o.Code, "", func(x *Order) { x.Email = Str("new@example.org") })
		}, ""},
		{"mark paid", func() (Order, error) { return f.srv.MarkPaid("acme", "conf", o.Code) }, StatusPaid},
		{"cancel", func() (Order, error) { return f.srv.CancelOrder("acme", "conf", o.Code) }, StatusCanceled},
	}
	prev := t0
	for _, st := range steps {
		f.clock.Advance(time.Minute)
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		lm := time.Time(got.LastModified)
		if !lm.After(prev) || !lm.Equal(f.clock.Now()) {
			t.Fatalf("%s: last_modified %v, want the clock's now %v", st.name, lm, f.clock.Now())
		}
		prev = lm
		if st.status != "" && got.Status != st.status {
			t.Fatalf("%s: status %s", st.name, got.Status)
		}
	}
	final, _ := f.srv.Order("acme", "conf", o.Code)
	if strOr(final.Email) != "new@example.org" || final.CancellationDate == nil {
		t.Fatalf("final order %+v", final)
	}
	// The organizer-wide list sees the change with modified_since.
	got := allOrders(t, f.http.URL+"/api/v1/organizers/acme/orders/?modified_since="+urlQuery(prev.Format(time.RFC3339Nano)))
	if len(got) != 1 || got[0].Code != o.Code {
		t.Fatalf("modified_since=%v found %d orders", prev, len(got))
	}
	// Added positions get ids, and add-ons refer to their parent's id.
	mod, err := f.srv.ModifyOrder("acme", "conf", o.Code, "pretix.event.order.changed.item", func(x *Order) {
		x.Positions = append(x.Positions, Position{Item: x.Positions[0].Item, Price: "10.00", AddonTo: Int(1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	np := mod.Positions[len(mod.Positions)-1]
	if np.ID == 0 || np.PositionID != len(mod.Positions) || *np.AddonTo != mod.Positions[0].ID {
		t.Fatalf("new position %+v", np)
	}
	if err := f.srv.DeleteOrder("acme", "conf", o.Code); err == nil && !final.Testmode {
		t.Fatal("deleted a live order")
	}
}

func TestSeedDemo(t *testing.T) {
	s := New(Options{NoRateLimit: true})
	defer s.Close()
	d, err := SeedDemo(s, 150, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Organizer != "demo" || d.Token != DemoToken || len(d.Events) != 2 {
		t.Fatalf("demo %+v", d)
	}
	if n := len(s.Orders("demo")); n != 300 {
		t.Fatalf("%d demo orders, want 300", n)
	}
	o, err := s.PlaceRandomOrder("demo", "summer-series", rand.New(rand.NewSource(2)))
	if err != nil || o.Positions[0].Subevent == nil {
		t.Fatalf("series order without a date: %+v %v", o.Positions, err)
	}
}
