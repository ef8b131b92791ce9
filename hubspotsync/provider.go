// Package hubspotsync is the HubSpot sync provider of the engine in package
// datasync: for the batch of one event's due orders it extracts the mapped
// objects, dedupes them across orders, reads what HubSpot holds, applies the
// update modes as if the orders were processed one by one in placement
// order, and writes only what changes — in batches of 100 with trace ids,
// then the associations — before reporting one outcome per order
// (DESIGN §5).
package hubspotsync

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/datasync"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// ProviderName is the provider's identifier in jobs, results and mappings.
const ProviderName = "hubspot"

// Portals finds the HubSpot portal an event writes to; *hubspot.Service
// implements it.
type Portals interface {
	ClientForEvent(ctx context.Context, eventID int64) (*hubspot.Client, *hubspot.Connection, error)
}

// Options configure a Provider. DB and Portals are required.
type Options struct {
	DB      *gorm.DB
	Portals Portals
	Clock   clockwork.Clock
	Logger  *slog.Logger
	// PerOrder syncs one order at a time with one record per call and
	// one association per call — the call pattern of pretix's own plugin
	// — as a baseline for benchmarks. Never set in production.
	PerOrder bool
	// MaxAttempts is the queue's attempt budget: a temporary failure on the
	// last attempt is written to the order history (earlier ones are not,
	// since they heal themselves). Default datasync.DefaultRetryPolicy's.
	MaxAttempts int
}

// Provider is the HubSpot datasync.Provider.
type Provider struct {
	db          *gorm.DB
	portals     Portals
	clock       clockwork.Clock
	log         *slog.Logger
	maxAttempts int
	perOrder    bool
	runs        atomic.Int64 // numbers runs, for unique trace ids
	ledger      *ledger

	mu        sync.Mutex
	resolvers map[int64]resolverEntry
	// participants serializes runs on a marketing event's contacts.
	participants keyLocks
	products     productCache
}

var _ datasync.Provider = (*Provider)(nil)

// New returns the provider.
func New(o Options) *Provider {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = datasync.DefaultRetryPolicy.MaxAttempts
	}
	return &Provider{db: o.DB, portals: o.Portals, clock: o.Clock, log: o.Logger, maxAttempts: o.MaxAttempts, perOrder: o.PerOrder,
		resolvers: map[int64]resolverEntry{}, ledger: newLedger()}
}

// Name implements datasync.Provider.
func (p *Provider) Name() string { return ProviderName }

// Description is the provider's line on the Plugins page.
func (p *Provider) Description() string {
	return "Export orders and attendees to HubSpot CRM as contacts, companies, deals and line items."
}

// DisplayName implements datasync.Provider.
func (p *Provider) DisplayName() string { return "HubSpot" }

// orderState is one order of the batch.
type orderState struct {
	job      models.SyncJob
	row      *models.PretixOrder
	o        *pretixwire.Order
	fail     *failure
	contribs []*contrib
	attend   []attendance        // marketing event participation wanted
	mres     []models.SyncResult // participation results (participate)
	// keep are earlier results still needed after a failed dissociation.
	keep []models.SyncResult
	// unlinked are the records dissociated from the order's deal.
	unlinked []models.SyncResult
}

func (o *orderState) failWith(f *failure) {
	if o.fail == nil || severity[f.mode] > severity[o.fail.mode] {
		o.fail = f
	}
}

// contrib is what one mapping of one order (and for position mappings one
// position) contributes to one HubSpot object.
type contrib struct {
	order  *orderState
	mp     *mapPlan
	posID  *int64  // the position's id; nil for Order mappings
	obj    *object // nil when the identifier is empty (skipped)
	idVal  string
	writes []write
	action string // created, updated, nothing_to_do (as sequential processing would report)
	// applied says the last simulation of obj included this contribution
	// (its order had not failed): only such orders share obj's fate.
	applied bool
	// archive: the line item of a canceled position, to be removed.
	archive bool
	// canceled: from a canceled position, whose attendee is no longer
	// part of the order's deal.
	canceled bool
	// sku and product name the HubSpot product a line item links to
	// (linkProducts fills in the record id).
	sku, product string
}

type write struct {
	def   *hubspot.Property // the plan's: shared, never copied per order
	value string            // converted; "" clears under Overwrite
	mode  string
	link  bool // the product link: value is set by linkProducts
}

// object is one HubSpot record the batch writes: every contribution with
// the same object type, identifier property and value.
type object struct {
	seq      int
	ot       hubspot.ObjectType
	idProp   string
	idDef    hubspot.Property
	idVal    string
	contribs []*contrib
	defs     map[string]*hubspot.Property

	exists    bool              // found by the read (or after a 409 re-read)
	recordID  string            // set once the record is known to exist
	current   map[string]string // what HubSpot holds
	final     map[string]string // after the simulation
	fail      *failure          // read or write failure
	written   bool              // written (or nothing to write) successfully
	simulated bool
	hold      *hold // this run's hold, released once written
	upsert    bool  // every row Overwrite by a unique key: written without a read
	archive   bool  // a canceled position's line item: read, then archived
	healKey   bool  // found by its stored id after a merge lost its identifier: written back
}

func (ob *object) subject() string {
	return fmt.Sprintf("%s with %s “%s”", ob.ot, ob.idProp, ob.idVal)
}

// run is one Sync call.
type run struct {
	p       *Provider
	ctx     context.Context
	eventID int64
	cl      *hubspot.Client
	conn    *hubspot.Connection
	plans   []*mapPlan
	orders  []*orderState
	objects []*object
	byKey   map[string]*object
	trace   string      // trace id prefix, unique per run
	live    bool        // a live-lane run: someone waits for it
	hurry   atomic.Bool // a live run waits for this one: its calls go first among bulk ones
	budget  int         // extra calls bisection may still spend
	seq     int64       // start order among this process's runs
	mk      *marketing  // nil unless the event writes marketing events
	// previous are the orders' last results; linked the associations this
	// run made (dissociate compares them).
	previous map[int64][]models.SyncResult
	stored   map[int64][]models.SyncResult // storedResults, nil until read
	linked   map[pairKey]bool
}

// Sync implements datasync.Provider: DESIGN §5 steps 1–8 for one event.
func (p *Provider) Sync(ctx context.Context, b datasync.Batch) []datasync.JobResult {
	if p.perOrder && len(b.Jobs) > 1 {
		var out []datasync.JobResult
		for _, j := range b.Jobs {
			one := b
			one.Jobs, one.Overlap = []models.SyncJob{j}, nil
			out = append(out, p.Sync(ctx, one)...)
		}
		return out
	}
	seq := p.runs.Add(1)
	r := &run{p: p, eventID: b.EventID, seq: seq, byKey: map[string]*object{}, live: b.Live,
		trace: fmt.Sprintf("ph%d-%d-", b.EventID, seq)}
	// Earlier runs' calls first: later runs sharing records wait for them.
	ctx = hubspot.Ordered(ctx, seq)
	if b.Stats != nil {
		ctx = hubspot.Counted(ctx, &b.Stats.Requests, &b.Stats.RateLimitWaits)
	}
	if b.Live {
		ctx = hubspot.Urgent(ctx)
	} else {
		ctx = hubspot.HurriedWhen(ctx, &r.hurry)
	}
	r.ctx = ctx
	for _, j := range b.Jobs {
		r.orders = append(r.orders, &orderState{job: j, row: b.Orders[j.OrderID]})
	}
	// Placement order: what "processing the orders one by one" means.
	sort.SliceStable(r.orders, func(i, j int) bool {
		a, c := r.orders[i].row, r.orders[j].row
		if a == nil || c == nil {
			return c == nil && a != nil
		}
		if !a.Datetime.Equal(c.Datetime) {
			return a.Datetime.Before(c.Datetime)
		}
		return a.Code < c.Code
	})
	if f := r.prepare(); f != nil {
		for _, o := range r.orders {
			o.failWith(f)
		}
		return r.results()
	}
	r.loadPrevious()
	r.extract()
	r.linkProducts()
	// Queued behind earlier runs on the records it shares with them, the
	// next batch may start: its other records go ahead at once.
	r.holdRecords()
	defer r.releaseRecords()
	if b.Overlap != nil {
		b.Overlap()
	}
	r.budget = bisectBudget
	for _, pick := range r.phases() {
		r.read(pick)
		r.healLost(pick)
		r.simulateAll(pick)
		r.write(pick)
		// Written: later runs may have these records while this one goes
		// on (associations change no property).
		r.releaseRecords(pick)
	}
	r.forgetProducts()
	r.associate()
	r.dissociate()
	r.participate()
	return r.results()
}

// prepare loads the portal client, the event, its mappings and the
// property definitions; a failure here concerns every order alike.
func (r *run) prepare() *failure {
	p, ctx := r.p, r.ctx
	cl, conn, err := p.portals.ClientForEvent(ctx, r.eventID)
	if err != nil {
		return failureOf(err, "")
	}
	r.cl, r.conn = cl, conn
	ev, err := p.loadEvent(ctx, r.eventID)
	if err != nil {
		return failureOf(err, "")
	}
	res, err := p.resolver(ev)
	if err != nil {
		return failureOf(err, "")
	}
	oms, props, err := p.loadMappings(ctx, r.eventID)
	if err != nil {
		p.log.Error("load hubspot mappings", "event", r.eventID, "err", err)
		return &failure{mode: modeTemporary, msg: "The mappings could not be read from the database. The sync is retried automatically."}
	}
	defs := &propertyDefs{cl: cl, defs: map[hubspot.ObjectType]map[string]hubspot.Property{}, refreshed: map[hubspot.ObjectType]bool{}}
	plans, err := compile(ctx, res, defs, oms, props)
	if err != nil {
		return failureOf(err, "")
	}
	r.plans = plans
	if r.mk, err = p.loadMarketing(ctx, ev, res.Event()); err != nil {
		return failureOf(err, "")
	}
	for _, o := range r.orders {
		if o.row == nil {
			o.failWith(&failure{mode: models.FailureInternal, msg: "The order is missing from the local database."})
			continue
		}
		if o.o, err = pretixwire.DecodeOrder([]byte(o.row.RawJSON)); err != nil {
			o.failWith(failureOf(err, ""))
		}
		// Decoded: the text is garbage now, and several rounds in flight
		// would otherwise hold it twice.
		o.row.RawJSON = ""
	}
	return nil
}

// extract computes every order's objects in placement order, then mapping
// order, then position order (DESIGN §5 steps 1–2, 5).
func (r *run) extract() {
	for _, o := range r.orders {
		if o.fail != nil {
			continue
		}
		for _, mp := range r.plans {
			if mp.src == fields.ObjectOrder {
				r.contribute(o, mp, nil)
			} else {
				for i := range o.o.Positions {
					r.contribute(o, mp, &o.o.Positions[i])
				}
			}
			if o.fail != nil {
				break
			}
		}
		if r.mk != nil {
			o.attend = r.mk.wanted(o.o, r.p.clock.Now().UTC())
		}
		// Extracted: the decoded order is not needed any more, and several
		// rounds in flight would otherwise hold every one of them.
		o.o = nil
	}
}

func (r *run) contribute(o *orderState, mp *mapPlan, pos *pretixwire.Position) {
	fc := fields.Context{Order: o.o, Position: pos}
	c := &contrib{order: o, mp: mp}
	if pos != nil {
		id := pos.ID
		c.posID, c.canceled = &id, pos.Canceled
	}
	// Properties come first, as in pretix: a broken row fails the order
	// even when the identifier is empty.
	for i := range mp.props {
		pp := &mp.props[i]
		v, err := pp.get.Value(fc)
		if err == nil && pp.link {
			var name fields.Value
			if name, err = mp.product.Value(fc); err == nil {
				c.sku, c.product = v.Text(), name.Text()
				c.writes = append(c.writes, write{def: &pp.def, mode: pp.mode, link: true})
				continue
			}
		}
		if err == nil {
			var s string
			if s, err = Convert(pp.def, v, pp.valueMap); err == nil {
				c.writes = append(c.writes, write{def: &pp.def, value: s, mode: pp.mode})
				continue
			}
		}
		f := failureOf(err, "")
		f.about(mp, pp.def.Name)
		o.failWith(f)
		return
	}
	v, err := mp.id.Value(fc)
	if err == nil {
		c.idVal, err = Convert(mp.idDef, v, nil)
	}
	if err != nil {
		f := failureOf(err, "")
		f.about(mp, mp.m.IDProperty)
		o.failWith(f)
		return
	}
	o.contribs = append(o.contribs, c)
	if c.idVal == "" {
		c.action = actionSkipped
		return
	}
	// A canceled ticket is no longer bought: its line item goes, while its
	// contacts stay (as in pretix).
	if mp.ot == hubspot.LineItems && pos != nil && pos.Canceled {
		c.archive, c.writes = true, nil
	}
	key := string(mp.ot) + "\x00" + mp.m.IDProperty + "\x00" + c.idVal
	ob := r.byKey[key]
	if ob == nil {
		ob = &object{seq: len(r.objects), ot: mp.ot, idProp: mp.m.IDProperty, idDef: mp.idDef, idVal: c.idVal,
			defs: map[string]*hubspot.Property{}}
		r.byKey[key] = ob
		r.objects = append(r.objects, ob)
	}
	ob.archive = c.archive
	for _, w := range c.writes {
		ob.defs[w.def.Name] = w.def
	}
	c.obj = ob
	ob.contribs = append(ob.contribs, c)
}

// live reports whether an object still has a contribution of an order
// that has not failed.
func (ob *object) live() bool {
	for _, c := range ob.contribs {
		if c.order.fail == nil {
			return true
		}
	}
	return false
}

// failObject fails an object and every order whose contribution it
// carries; orders taken out of the batch earlier keep their own failure.
func (r *run) failObject(ob *object, f *failure) {
	if len(ob.contribs) > 0 {
		f.about(ob.contribs[0].mp, "")
	}
	ob.fail = f
	for _, c := range ob.contribs {
		if ob.simulated && !c.applied {
			continue
		}
		c.order.failWith(f)
	}
}
