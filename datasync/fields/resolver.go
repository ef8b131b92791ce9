package fields

import (
	"errors"
	"sort"
	"strconv"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretixwire"
)

// Context is the pretix object a value is computed for: an order, and for
// Order position mappings one of its positions.
type Context struct {
	Order    *pretixwire.Order
	Position *pretixwire.Position // nil for Order mappings; must point into Order.Positions
}

// Resolver computes field values for one event. Build it once per event and
// batch (it precomputes product names, option lookups and the catalogue);
// it is immutable and safe for concurrent use.
type Resolver struct {
	x     *index
	defs  []*def
	byKey map[string]*def
}

// NewResolver prepares the catalogue and value getters of an event.
func NewResolver(ev EventInfo) *Resolver {
	x := newIndex(ev)
	r := &Resolver{x: x, defs: buildDefs(x)}
	r.byKey = make(map[string]*def, len(r.defs))
	for _, d := range r.defs {
		r.byKey[d.Key] = d
	}
	return r
}

// Event returns the event the resolver was built for.
func (r *Resolver) Event() *EventInfo { return r.x.ev }

// Fields lists the event's fields in picker order (see Catalogue).
func (r *Resolver) Fields() []Field {
	out := make([]Field, len(r.defs))
	for i, d := range r.defs {
		out[i] = d.Field
	}
	return out
}

func (r *Resolver) lookup(key string) (*def, bool) {
	if d, ok := r.byKey[key]; ok {
		return d, true
	}
	if alias, ok := keyAliases[key]; ok {
		d, ok := r.byKey[alias]
		return d, ok
	}
	return nil, false
}

// Field returns the field with the key (aliases such as "order_email" accepted).
func (r *Resolver) Field(key string) (Field, bool) {
	d, ok := r.lookup(key)
	if !ok {
		return Field{}, false
	}
	return d.Field, true
}

// Getter returns the value getter of a field for mappings of the object
// type; it fails with CodeFieldUnknown or CodeFieldNeedsPosition, which is
// also how a mapping is validated on save.
func (r *Resolver) Getter(key string, o ObjectType) (Getter, error) {
	d, ok := r.lookup(key)
	if !ok {
		return Getter{}, errUnknownField(key, r.x.ev.Slug)
	}
	if !d.AvailableIn(o) {
		return Getter{}, errNeedsPosition(&d.Field)
	}
	return Getter{d: d}, nil
}

// Value computes one field for an order (c.Position nil) or a position.
// For many objects, take a Getter once and call it instead.
func (r *Resolver) Value(key string, c Context) (Value, error) {
	o := ObjectOrder
	if c.Position != nil {
		o = ObjectPosition
	}
	g, err := r.Getter(key, o)
	if err != nil {
		return Value{}, err
	}
	return g.Value(c)
}

// Getter computes one field's value; the zero Getter is not usable.
type Getter struct{ d *def }

// Field describes the field the getter computes.
func (g Getter) Field() Field { return g.d.Field }

// Value computes the field for the order or position in c.
func (g Getter) Value(c Context) (Value, error) {
	if c.Order == nil {
		return Value{}, apperr.Internal(errors.New("fields: value requested without an order"))
	}
	if g.d.position && c.Position == nil {
		return Value{}, errNeedsPosition(&g.d.Field)
	}
	return g.d.get(c)
}

// index is the per-event lookup data the getters share.
type index struct {
	ev             *EventInfo
	locale         string
	attendeeScheme *NameScheme
	invoiceScheme  *NameScheme
	questions      []pretixwire.Question
	items          map[int64]*itemInfo
	products       map[[2]int64]string // (item, variation) → display name
	subevents      map[int64]*pretixwire.SubEvent
	options        map[int64]string // question option id → identifier
	eventTitle     string
	codePrefix     string // "SLUG-"
}

type itemInfo struct {
	id        string
	admission bool
}

func newIndex(ev EventInfo) *index {
	x := &index{
		ev:             &ev,
		locale:         ev.PrimaryLocale(),
		attendeeScheme: ev.AttendeeScheme(),
		invoiceScheme:  ev.InvoiceScheme(),
		items:          make(map[int64]*itemInfo, len(ev.Items)),
		products:       make(map[[2]int64]string),
		subevents:      make(map[int64]*pretixwire.SubEvent, len(ev.SubEvents)),
		options:        make(map[int64]string),
	}
	x.eventTitle = ev.Name.Localize(x.locale)
	if ev.Slug != "" {
		x.codePrefix = upperASCII(ev.Slug) + "-"
	}
	for i := range ev.Items {
		it := &ev.Items[i]
		name := it.InternalName
		if name == "" {
			name = it.Name.Localize(x.locale)
		}
		x.items[it.ID] = &itemInfo{id: strconv.FormatInt(it.ID, 10), admission: it.Admission}
		x.products[[2]int64{it.ID, 0}] = name
		for _, v := range it.Variations {
			x.products[[2]int64{it.ID, v.ID}] = name + " – " + v.Value.Localize(x.locale)
		}
	}
	for i := range ev.SubEvents {
		x.subevents[ev.SubEvents[i].ID] = &ev.SubEvents[i]
	}
	x.questions = append([]pretixwire.Question(nil), ev.Questions...)
	sort.SliceStable(x.questions, func(a, b int) bool {
		qa, qb := &x.questions[a], &x.questions[b]
		if qa.Position != qb.Position {
			return qa.Position < qb.Position
		}
		return qa.ID < qb.ID
	})
	for _, q := range x.questions {
		for _, o := range q.Options {
			x.options[o.ID] = o.Identifier
		}
	}
	return x
}
