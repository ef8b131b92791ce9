package mapping

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
)

// Error codes of refused saves. CodeIdentifierNotUnique means row 0 needs a
// unique property; when Fields holds "rows.0.unique_property", the
// connection may create one with that name (Create unique property).
const (
	CodeMappingInvalid      = "mapping_invalid"
	CodeIdentifierNotUnique = "identifier_not_unique"
)

// UniquePropertyKey is the Fields key that carries the suggested name of a
// unique property the editor may offer to create.
const UniquePropertyKey = "rows.0.unique_property"

// report is the outcome of checking one mapping's table.
type report struct {
	errs        map[string]string
	warnings    []string // per row: the types may not fit
	hints       []string // per row: advice, not a warning
	idNotUnique bool
	schemaErr   error
}

func (r *report) fail(i int, col, msg string) {
	if r.errs == nil {
		r.errs = map[string]string{}
	}
	k := rowKey(i, col)
	if _, dup := r.errs[k]; !dup {
		r.errs[k] = msg
	}
}

func (r *report) warn(i int, msg string) {
	if r.warnings[i] == "" {
		r.warnings[i] = msg
	} else {
		r.warnings[i] += " " + msg
	}
}

// checker validates tables of one event within one request; it loads the
// portal schema and the empty-value sample at most once.
type checker struct {
	s      *Service
	ed     *eventData
	sc     *schema // nil when the portal could not be reached (scErr)
	scErr  error
	sample map[fields.ObjectType]*emptiness
}

func (s *Service) newChecker(ctx context.Context, ed *eventData) *checker {
	c := &checker{s: s, ed: ed, sample: map[fields.ObjectType]*emptiness{}}
	c.sc, c.scErr = s.portal(ctx, ed.ev.ID)
	return c
}

// check validates rows (row 0 the identifier) of a src → tgt mapping.
func (c *checker) check(ctx context.Context, src fields.ObjectType, tgt hubspot.ObjectType, rows []RowInput) *report {
	r := &report{warnings: make([]string, len(rows)), hints: make([]string, len(rows))}
	var props map[string]*hubspot.Property
	if c.sc == nil {
		r.schemaErr = c.scErr
	} else {
		var err error
		if props, err = c.sc.properties(ctx, tgt); err != nil {
			r.schemaErr = err
		}
	}
	var overwrite []int
	for i := range rows {
		row := &rows[i]
		f, fieldOK := c.checkField(r, i, src, row.PretixField)
		mode := row.Mode
		if i == 0 {
			mode = ModeIdentifier
		} else if msg := hubspotsync.ModeRule(mode); msg != "" {
			r.fail(i, "mode", msg)
		}
		if strings.TrimSpace(row.Property) == "" {
			r.fail(i, "property", "Choose a HubSpot property.")
			continue
		}
		if props == nil {
			continue
		}
		p := props[row.Property]
		if i == 0 {
			c.checkIdentifier(r, tgt, src, row, p)
		} else if !checkWritable(r, i, tgt, row.Property, p) {
			continue
		}
		if hubspotsync.IsProductLink(tgt, row.Property) {
			// Not a value but a reference the sync resolves: no type check.
			if msg := hubspotsync.ProductLinkRule(tgt, row.Property, row.PretixField); msg != "" {
				r.fail(i, "pretix_field", msg)
			}
			continue
		}
		if p == nil || !fieldOK {
			continue
		}
		if ok, w := fields.CheckCompatibility(f.Type, target(p), mode); !ok {
			r.warn(i, w)
		}
		if i > 0 {
			choices, err := c.sc.choices(ctx, tgt, p)
			if err != nil {
				r.schemaErr = err
				return r
			}
			if w := valueMapWarning(&f, p, choices, row.ValueMap); w != "" {
				r.warn(i, w)
			}
		}
		if mode == "overwrite" {
			overwrite = append(overwrite, i)
		}
	}
	if len(overwrite) > 0 {
		e := c.emptiness(ctx, src)
		for _, i := range overwrite {
			r.hints[i] = e.hint(rows[i].PretixField, src)
		}
	}
	return r
}

func (c *checker) checkField(r *report, i int, src fields.ObjectType, key string) (fields.Field, bool) {
	if strings.TrimSpace(key) == "" {
		r.fail(i, "pretix_field", "Choose a pretix field.")
		return fields.Field{}, false
	}
	g, err := c.ed.res.Getter(key, src)
	if err == nil {
		return g.Field(), true
	}
	if ae, ok := apperr.As(err); ok && ae.Code == fields.CodeFieldNeedsPosition {
		f, _ := c.ed.res.Field(key)
		r.fail(i, "pretix_field", fmt.Sprintf("“%s” belongs to a single ticket, so it only works in an Order position mapping. Choose an order field, or change the pretix object type to Order position.", f.Label))
	} else {
		r.fail(i, "pretix_field", fmt.Sprintf("The pretix field %q does not exist in this event; its question or check-in list may have been deleted. Choose another field.", key))
	}
	return fields.Field{}, false
}

// checkWritable refuses properties HubSpot does not let us write.
func checkWritable(r *report, i int, tgt hubspot.ObjectType, name string, p *hubspot.Property) bool {
	if msg := hubspotsync.PropertyRule(tgt, name, p); msg != "" {
		r.fail(i, "property", msg)
		return false
	}
	return true
}

func (c *checker) checkIdentifier(r *report, tgt hubspot.ObjectType, src fields.ObjectType, row *RowInput, p *hubspot.Property) {
	if p != nil && !checkWritable(r, 0, tgt, row.Property, p) {
		return
	}
	if hubspotsync.IdentifierRule(tgt, p) {
		return
	}
	r.idNotUnique = true
	if tgt == hubspot.Contacts {
		what := fmt.Sprintf("HubSpot has no contact property %q.", row.Property)
		if p != nil {
			what = fmt.Sprintf("“%s” does not require unique values.", p.Label)
		}
		r.fail(0, "property", what+" Contacts are identified by Email or by a property that requires unique values; choose one of them.")
		return
	}
	name := row.Property
	if p != nil || !propertyNameRE.MatchString(name) {
		name = uniqueName(row.PretixField, src)
	}
	what := fmt.Sprintf("HubSpot has no %s property %q yet.", strings.ToLower(hubspotsync.SingularLabel(tgt)), row.Property)
	if p != nil {
		what = fmt.Sprintf("“%s” does not require unique values, so HubSpot cannot find %s by it.", p.Label, strings.ToLower(hubspotsync.TargetLabel(tgt)))
	}
	if c.sc != nil && c.sc.conn != nil && c.sc.conn.CanCreateProperties(tgt) {
		r.fail(0, "property", what+fmt.Sprintf(" %s need a property with unique values as identifier: click Create unique property to create %q (single-line text, unique values), or pick another unique property.", hubspotsync.TargetLabel(tgt), name))
		if r.errs[UniquePropertyKey] == "" {
			r.errs[UniquePropertyKey] = name
		}
		return
	}
	r.fail(0, "property", what+" "+manualUniqueHelp(tgt, name))
}

var propertyNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// uniqueName proposes the internal name of a unique identifier property;
// order codes get the pretix guide's pretix_order_id.
func uniqueName(fieldKey string, src fields.ObjectType) string {
	switch fieldKey {
	case "order_code", "event_order_code":
		return "pretix_order_id"
	case "ticket_id", "position_id":
		return "pretix_ticket_id"
	case "", "invoice_address_company", "attendee_company":
		if src == fields.ObjectPosition {
			return "pretix_attendee_company"
		}
		return "pretix_company"
	}
	var b strings.Builder
	b.WriteString("pretix_")
	for _, r := range strings.ToLower(fieldKey) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func target(p *hubspot.Property) fields.Target {
	t := fields.Target{Type: p.Type, FieldType: p.FieldType}
	for _, o := range p.Options {
		t.Options = append(t.Options, o.Value)
	}
	return t
}

// valueMapWarning checks a choice field written to an enumeration whose
// options are choices (for deal stages: the pipelines' stages): every
// pretix option needs a HubSpot option, and mapped values must exist.
func valueMapWarning(f *fields.Field, p *hubspot.Property, choices []hubspot.Option, vm map[string]string) string {
	if !f.Type.IsChoice() || p.Type != "enumeration" || len(choices) == 0 || len(f.Options) == 0 {
		return ""
	}
	// HubSpot option values match case-insensitively (the converter sends
	// the option's own spelling), and an option without a map entry is sent
	// as its pretix code, which works only when that is an option value.
	have := make(map[string]bool, len(choices))
	for _, o := range choices {
		have[strings.ToLower(o.Value)] = true
	}
	var missing, unknown []string
	for _, o := range f.Options {
		v := vm[o.Value]
		switch {
		case v != "" && !have[strings.ToLower(v)]:
			unknown = append(unknown, v)
		case v != "":
		case !have[strings.ToLower(o.Value)]:
			missing = append(missing, optionName(o))
		}
	}
	var out []string
	if len(missing) > 0 {
		out = append(out, fmt.Sprintf("No HubSpot value is chosen for %s; orders with %s fail with a misconfiguration error. Click Edit value mapping.",
			strings.Join(missing, ", "), plural(len(missing), "this answer", "these answers")))
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		out = append(out, fmt.Sprintf("The value mapping uses %s that “%s” does not have: %s; HubSpot rejects them.",
			plural(len(unknown), "a value", "values"), p.Label, strings.Join(dedupe(unknown), ", ")))
	}
	return strings.Join(out, " ")
}

func optionName(o fields.Option) string {
	if o.Label != "" && o.Label != o.Value {
		return fmt.Sprintf("“%s” (%s)", o.Label, o.Value)
	}
	return fmt.Sprintf("“%s”", o.Value)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// invalid builds the refused-save error from field errors.
func invalid(errs map[string]string, idNotUnique bool, what string) *apperr.Error {
	n := 0
	rowsSeen := map[string]bool{}
	for k := range errs {
		if k == UniquePropertyKey {
			continue
		}
		parts := strings.SplitN(k, ".", 3)
		if len(parts) >= 2 && parts[0] == "rows" {
			rowsSeen[parts[1]] = true
		} else {
			n++
		}
	}
	n += len(rowsSeen)
	code := CodeMappingInvalid
	if idNotUnique {
		code = CodeIdentifierNotUnique
	}
	msg := fmt.Sprintf("%s was not saved: %d %s need attention; the reasons are shown next to %s.", what, n,
		plural(n, "entry", "entries"), plural(n, "it", "them"))
	return &apperr.Error{Kind: apperr.KindInvalid, Code: code, Message: msg, Fields: errs}
}
