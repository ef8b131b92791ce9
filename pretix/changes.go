package pretix

import (
	"context"
	"strings"
	"time"
)

// ChangeKind says what about an order changed; kinds combine as bits.
type ChangeKind uint8

// The kinds of change ingest tells listeners about.
const (
	ChangeNew      ChangeKind = 1 << iota // first time seen
	ChangeStatus                          // status or approval state
	ChangeContents                        // positions, items, variations, prices, fees, total, refunds done
	ChangeContact                         // e-mails, phone, names, addresses, answers
	ChangeOther                           // anything else pretix sends (check-ins, payments, comments, …)
)

var kindNames = []struct {
	k    ChangeKind
	name string
}{{ChangeNew, "new"}, {ChangeStatus, "status"}, {ChangeContents, "contents"}, {ChangeContact, "contact"}, {ChangeOther, "other"}}

// Has reports whether all kinds in x are set.
func (k ChangeKind) Has(x ChangeKind) bool { return k&x == x }

// Names lists the set kinds ("new", "status", "contents", "contact", "other").
func (k ChangeKind) Names() []string {
	var out []string
	for _, n := range kindNames {
		if k&n.k != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String joins Names with commas.
func (k ChangeKind) String() string { return strings.Join(k.Names(), ",") }

// Sources of an ingested order.
const (
	SourcePull    = "pull"
	SourceWebhook = "webhook"
	SourceRefresh = "refresh" // read again before a manual sync
)

// OrderChange is one new or changed order, as told to an OrderListener
// after the change was committed.
type OrderChange struct {
	OrganizerID  int64
	EventID      int64
	EventSlug    string
	OrderID      int64 // pretix_orders.id
	Code         string
	Kinds        ChangeKind
	OldStatus    string // "" for new orders
	Status       string
	Datetime     time.Time // when the order was placed
	LastModified time.Time
	Source       string // SourcePull, SourceWebhook or SourceRefresh
}

// OrderListener learns about new and changed orders (the sync engine
// implements it to queue jobs). It is called after the batch is committed,
// once per batch, and must not block for long.
type OrderListener interface {
	OrdersChanged(ctx context.Context, changes []OrderChange)
}

// NopListener ignores changes.
type NopListener struct{}

// OrdersChanged implements OrderListener.
func (NopListener) OrdersChanged(context.Context, []OrderChange) {}

// ListenerFunc adapts a function to OrderListener.
type ListenerFunc func(ctx context.Context, changes []OrderChange)

// OrdersChanged implements OrderListener.
func (f ListenerFunc) OrdersChanged(ctx context.Context, changes []OrderChange) { f(ctx, changes) }
