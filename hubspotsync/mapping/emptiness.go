package mapping

import (
	"context"
	"fmt"

	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// minSample is the fewest objects that let us call a field "often empty";
// below it the hint is left out rather than guessed.
const minSample = 10

// emptyShare is the share of empty values from which an Overwrite row gets
// the hint: beyond it, syncs regularly clear what HubSpot holds.
const emptyShare = 0.25

// emptiness counts, over the event's most recent orders, how often fields
// have no value, for objects of one pretix type (orders or positions).
type emptiness struct {
	orders  []*pretixwire.Order
	res     *fields.Resolver
	objects int
	memo    map[string]float64
}

func (c *checker) emptiness(ctx context.Context, src fields.ObjectType) *emptiness {
	if e, ok := c.sample[src]; ok {
		return e
	}
	e := &emptiness{res: c.ed.res, memo: map[string]float64{}}
	c.sample[src] = e
	var raws []string
	err := c.s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("event_id = ? AND testmode = ?", c.ed.ev.ID, false).
		Order("datetime DESC").Limit(c.s.sample).Pluck("raw_json", &raws).Error
	if err != nil {
		return e // the hint is advice; without data it is left out
	}
	for _, r := range raws {
		o, err := pretixwire.DecodeOrder([]byte(r))
		if err != nil {
			continue
		}
		e.orders = append(e.orders, o)
		if src == fields.ObjectPosition {
			e.objects += len(o.Positions)
		} else {
			e.objects++
		}
	}
	return e
}

// share returns the fraction of sampled objects whose field is empty.
func (e *emptiness) share(key string, src fields.ObjectType) float64 {
	if v, ok := e.memo[key]; ok {
		return v
	}
	g, err := e.res.Getter(key, src)
	if err != nil || e.objects == 0 {
		return 0
	}
	empty := 0
	for _, o := range e.orders {
		if src == fields.ObjectPosition {
			for i := range o.Positions {
				if v, err := g.Value(fields.Context{Order: o, Position: &o.Positions[i]}); err == nil && v.IsEmpty() {
					empty++
				}
			}
			continue
		}
		if v, err := g.Value(fields.Context{Order: o}); err == nil && v.IsEmpty() {
			empty++
		}
	}
	share := float64(empty) / float64(e.objects)
	e.memo[key] = share
	return share
}

func (e *emptiness) hint(key string, src fields.ObjectType) string {
	if e.objects < minSample {
		return ""
	}
	sh := e.share(key, src)
	if sh < emptyShare {
		return ""
	}
	what := "orders"
	if src == fields.ObjectPosition {
		what = "tickets"
	}
	return fmt.Sprintf("Empty pretix values clear the HubSpot field: %d %% of the recent %s have no value here. Choose Fill if empty to keep what HubSpot already has.",
		int(sh*100+0.5), what)
}
