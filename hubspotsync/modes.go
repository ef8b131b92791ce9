package hubspotsync

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// Result actions.
const (
	actionCreated  = "created"
	actionUpdated  = "updated"
	actionNothing  = "nothing_to_do"
	actionSkipped  = "skipped"
	actionArchived = "archived"
	// actionDissociated marks, in a history entry, a record removed from
	// the order's deal (the record itself stays).
	actionDissociated = "dissociated"
	// actionLeftDeal: a canceled ticket's record, no longer associated
	// with the order's deal.
	actionLeftDeal = "left_deal"
	listSeparator  = ";"
	appendNotEmpty = "Add to list cannot add to the %s property “%s”, which already has a value (%q)."
)

// simulateAll applies the modes of every object (DESIGN §5 step 4). An
// order that fails while being applied (Add to list onto a filled number)
// is taken out and everything is applied again without it, so the other
// orders see exactly what sequential processing would have shown them.
func (r *run) simulateAll(pick func(*object) bool) {
	for {
		again := false
		for _, ob := range r.objects {
			if ob.fail != nil || !pick(ob) {
				continue
			}
			if failed := r.simulate(ob); failed != nil {
				failed.order.failWith(failed.fail)
				again = true
				break
			}
		}
		if !again {
			return
		}
	}
}

// contribFailure is an order that failed while its contribution was applied.
type contribFailure struct {
	order *orderState
	fail  *failure
}

// simulate replays the object's live contributions in order on a copy of
// what HubSpot holds: each sees the record as the ones before it left it,
// including whether it exists.
func (r *run) simulate(ob *object) *contribFailure {
	state := make(map[string]string, len(ob.current)+4)
	for k, v := range ob.current {
		state[k] = v
	}
	exists := ob.exists
	ob.simulated = true
	if ob.archive {
		for _, c := range ob.contribs {
			c.applied, c.action = c.order.fail == nil, actionNothing
		}
		ob.final = state
		return nil
	}
	for _, c := range ob.contribs {
		c.applied = c.order.fail == nil
		if !c.applied {
			continue
		}
		changed, err := applyModes(c.writes, state, exists)
		if err != nil {
			return &contribFailure{order: c.order, fail: &failure{mode: models.FailurePermanent, msg: err.Error() + " (" + ob.subject() + ")",
				detail: map[string]any{"object": ob.subject()}}}
		}
		switch {
		case !exists:
			c.action = actionCreated
		case changed:
			c.action = actionUpdated
		default:
			c.action = actionNothing
		}
		exists = true
	}
	ob.final = state
	return nil
}

// applyModes applies one contribution's rows. existed says whether the
// record existed before this contribution (for Fill if new).
func applyModes(writes []write, state map[string]string, existed bool) (bool, error) {
	changed := false
	set := func(def *hubspot.Property, v string) {
		if !sameValue(def, state[def.Name], v) {
			state[def.Name] = v
			changed = true
		}
	}
	for _, w := range writes {
		cur := state[w.def.Name]
		switch w.mode {
		case models.ModeOverwrite:
			set(w.def, w.value)
		case models.ModeIfNew:
			if !existed && w.value != "" && cur == "" {
				set(w.def, w.value)
			}
		case models.ModeIfEmpty:
			if w.value != "" && cur == "" {
				set(w.def, w.value)
			}
		case models.ModeAppend:
			if w.value == "" {
				continue
			}
			merged, err := appendItem(w.def, cur, w.value)
			if err != nil {
				return changed, err
			}
			set(w.def, merged)
		}
	}
	return changed, nil
}

// appendItem adds value as list items: multi-checkboxes and text hold
// ";"-separated items and get only the items not there yet (so a re-run
// never adds one twice); other types take a value only while empty.
func appendItem(def *hubspot.Property, cur, value string) (string, error) {
	if def.MultiSelect() || def.Type == "string" || def.Type == "phone_number" {
		items := splitItems(cur)
		for _, it := range splitItems(value) {
			if !containsString(items, it) {
				items = append(items, it)
			}
		}
		return strings.Join(items, listSeparator), nil
	}
	if cur == "" || sameValue(def, cur, value) {
		return value, nil
	}
	return "", fmt.Errorf(appendNotEmpty, def.Type, def.Name, cur)
}

func splitItems(s string) []string {
	var out []string
	for _, it := range strings.Split(s, listSeparator) {
		if it = strings.TrimSpace(it); it != "" && !containsString(out, it) {
			out = append(out, it)
		}
	}
	return out
}

// sameValue compares a stored HubSpot value with one we would write, by
// the property's type: HubSpot answers numbers, times and booleans in its
// own spelling, and a write that only changes the spelling is no change.
func sameValue(def *hubspot.Property, a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	switch {
	case def.Type == "number":
		x, okx := new(big.Rat).SetString(strings.TrimSpace(a))
		y, oky := new(big.Rat).SetString(strings.TrimSpace(b))
		return okx && oky && x.Cmp(y) == 0
	case def.Type == "datetime":
		x, okx := parseHubSpotTime(a)
		y, oky := parseHubSpotTime(b)
		return okx && oky && x.Equal(y)
	case def.Type == "date":
		x, okx := parseHubSpotTime(a)
		y, oky := parseHubSpotTime(b)
		return okx && oky && x.UTC().Format(time.DateOnly) == y.UTC().Format(time.DateOnly)
	case def.Type == "bool" || def.FieldType == "booleancheckbox":
		return strings.EqualFold(a, b)
	case def.MultiSelect():
		x, y := splitItems(a), splitItems(b)
		if len(x) != len(y) {
			return false
		}
		for _, it := range x {
			if !containsString(y, it) {
				return false
			}
		}
		return true
	case def.Name == "email":
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return false
}

// parseHubSpotTime reads ISO 8601 (with or without time) or epoch ms.
func parseHubSpotTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	return parseTime(s)
}

// upsertProps is what an upsert sends: every mapped property, empty ones
// too (all rows are Overwrite, and an empty value clears the field).
func (ob *object) upsertProps() map[string]string {
	out := make(map[string]string, len(ob.final))
	for k, v := range ob.final {
		if _, ok := ob.defs[k]; ok {
			out[k] = v
		}
	}
	return out
}

// changes returns what must be sent for an object: on a record that
// exists, the properties whose value differs from HubSpot's; on a new
// record every non-empty property plus the identifier.
func (ob *object) changes() map[string]string {
	out := map[string]string{}
	if !ob.exists {
		for k, v := range ob.final {
			if v != "" {
				out[k] = v
			}
		}
		out[ob.idProp] = ob.idVal
		return out
	}
	for k, v := range ob.final {
		def, ok := ob.defs[k]
		if !ok {
			continue // read but not written (e.g. the identifier)
		}
		if !sameValue(def, ob.current[k], v) {
			out[k] = v
		}
	}
	if ob.healKey {
		out[ob.idProp] = ob.idVal
	}
	return out
}
