package pretixfake

import (
	"strings"
	"testing"
)

func TestOrderContentChanges(t *testing.T) {
	f := newFixture(t, Options{}, 0)
	placed, err := f.srv.PlaceOrder("acme", "conf", sampleOrder(t, f.srv))
	if err != nil {
		t.Fatal(err)
	}
	f.srv.mu.RLock()
	r := f.srv.orgs["acme"].events["conf"].roles()
	f.srv.mu.RUnlock()
	other := r.paidTickets[len(r.paidTickets)-1]
	ticket, addon := placed.Positions[0].ID, placed.Positions[1].ID

	// A product change takes the new product's default price.
	o, err := f.srv.ChangeProduct("acme", "conf", placed.Code, ticket, other.ID, 0)
	if err != nil && other.HasVariations {
		o, err = f.srv.ChangeProduct("acme", "conf", placed.Code, ticket, other.ID, other.Variations[0].ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	if o.Positions[0].Item != other.ID || o.Total != money(cents(o.Positions[0].Price)+cents("49.00")) {
		t.Errorf("after the product change: item %d price %s total %s", o.Positions[0].Item, o.Positions[0].Price, o.Total)
	}

	// A refund of part of what was paid; more than that is refused.
	if o, err = f.srv.MarkPaid("acme", "conf", placed.Code); err != nil {
		t.Fatal(err)
	}
	paid := o.Total
	for _, c := range []struct {
		amount, wantErr string
	}{
		{"ten", "not a positive amount"},
		{"0", "not a positive amount"},
		{"10.00", ""},
		{money(cents(paid)), "more than what was paid"},
	} {
		o, err = f.srv.Refund("acme", "conf", placed.Code, c.amount)
		if (err != nil) != (c.wantErr != "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("refund %s: %v, want %q", c.amount, err, c.wantErr)
		}
	}
	if len(o.Refunds) != 1 || o.Refunds[0].State != "done" || o.Refunds[0].Amount != "10.00" || o.Total != paid {
		t.Errorf("refunds %+v, total %s (want unchanged %s)", o.Refunds, o.Total, paid)
	}

	// Canceling the ticket cancels its add-on too, and with no position
	// left the order.
	o, err = f.srv.CancelPosition("acme", "conf", placed.Code, ticket)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range o.Positions {
		if (p.ID == ticket || p.ID == addon) && !p.Canceled {
			t.Errorf("position %d is not canceled", p.ID)
		}
	}
	if o.Status != StatusCanceled || o.Total != "0.00" {
		t.Errorf("after canceling every position: status %s total %s", o.Status, o.Total)
	}
	if _, err := f.srv.CancelPosition("acme", "conf", placed.Code, ticket); err == nil || !strings.Contains(err.Error(), "already canceled") {
		t.Errorf("canceling twice: %v", err)
	}
	if _, err := f.srv.CancelPosition("acme", "conf", "NOPE1", 1); err == nil {
		t.Error("an unknown order was changed")
	}
}
