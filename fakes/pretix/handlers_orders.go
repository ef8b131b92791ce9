package pretixfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// orderFilter is the subset of pretix's OrderFilter the emulator supports.
type orderFilter struct {
	testmode          *bool
	modifiedSince     *time.Time
	createdSince      *time.Time
	status            string
	code, email       string
	search            string
	includeCanceledP  bool
	includeCanceledFe bool
	ordering          string
}

// parseOrderFilter reads the query; on bad input it writes pretix's 400
// field error and returns ok=false.
func parseOrderFilter(w http.ResponseWriter, q url.Values) (orderFilter, bool) {
	f := orderFilter{
		status:            q.Get("status"),
		code:              q.Get("code"),
		email:             q.Get("email"),
		search:            strings.ToLower(q.Get("search")),
		includeCanceledP:  q.Get("include_canceled_positions") == "true",
		includeCanceledFe: q.Get("include_canceled_fees") == "true",
		ordering:          q.Get("ordering"),
	}
	if v := q.Get("testmode"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string][]string{"testmode": {"Select a valid choice. " + v + " is not one of the available choices."}})
			return f, false
		}
		f.testmode = &b
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"modified_since", &f.modifiedSince}, {"created_since", &f.createdSince}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, ok := parseDateTime(v)
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string][]string{p.name: {"Enter a valid date/time."}})
			return f, false
		}
		*p.dst = &t
	}
	return f, true
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// parseDateTime accepts what Django's DateTimeField accepts in practice:
// ISO 8601 with or without offset (naive means UTC here) and a space instead
// of the T.
func parseDateTime(v string) (time.Time, bool) {
	v = strings.Replace(strings.TrimSpace(v), " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (f *orderFilter) match(o *storedOrder) bool {
	if f.testmode != nil && o.Testmode != *f.testmode {
		return false
	}
	if f.modifiedSince != nil && time.Time(o.LastModified).Before(*f.modifiedSince) {
		return false
	}
	if f.createdSince != nil && time.Time(o.Datetime).Before(*f.createdSince) {
		return false
	}
	if f.status != "" && o.Status != f.status {
		return false
	}
	if f.code != "" && !strings.EqualFold(o.Code, f.code) {
		return false
	}
	if f.email != "" && !strings.EqualFold(strOr(o.Email), f.email) {
		return false
	}
	if f.search != "" && !strings.Contains(orderSearchText(&o.Order), f.search) {
		return false
	}
	return true
}

func orderSearchText(o *Order) string {
	var b strings.Builder
	b.WriteString(lower(o.Code + " " + strOr(o.Email)))
	if o.InvoiceAddress != nil {
		b.WriteString(" " + lower(o.InvoiceAddress.Name+" "+o.InvoiceAddress.Company))
	}
	for _, p := range o.Positions {
		b.WriteString(" " + lower(strOr(p.AttendeeName)+" "+strOr(p.AttendeeEmail)))
	}
	return b.String()
}

// sortOrders applies ?ordering=; unknown fields are ignored like DRF does,
// and the creation sequence breaks ties like pretix's TotalOrderingFilter.
func sortOrders(list []*storedOrder, ordering string) {
	field := strings.TrimPrefix(ordering, "-")
	desc := strings.HasPrefix(ordering, "-")
	var less func(a, b *storedOrder) int
	switch field {
	case "code":
		less = func(a, b *storedOrder) int { return strings.Compare(a.Code, b.Code) }
	case "status":
		less = func(a, b *storedOrder) int { return strings.Compare(a.Status, b.Status) }
	case "last_modified":
		less = func(a, b *storedOrder) int { return time.Time(a.LastModified).Compare(time.Time(b.LastModified)) }
	case "datetime", "":
		if !desc {
			return // already in creation order
		}
		less = func(a, b *storedOrder) int { return time.Time(a.Datetime).Compare(time.Time(b.Datetime)) }
	default:
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		c := less(list[i], list[j])
		if c == 0 {
			c = int(list[i].seq - list[j].seq)
		}
		if desc {
			return c > 0
		}
		return c < 0
	})
}

// render returns the order as the API shows it for the given flags.
func (s *Server) render(o *storedOrder, includeCanceledPositions, includeCanceledFees bool) any {
	out := o.Order
	if !includeCanceledPositions {
		out.Positions = make([]Position, 0, len(o.Positions))
		for _, p := range o.Positions {
			if !p.Canceled {
				out.Positions = append(out.Positions, p)
			}
		}
	}
	if !includeCanceledFees {
		out.Fees = make([]Fee, 0, len(o.Fees))
		for _, f := range o.Fees {
			if !f.Canceled {
				out.Fees = append(out.Fees, f)
			}
		}
	}
	if s.opts.LegacyNoOrganizerOrders {
		b, _ := json.Marshal(out)
		var m map[string]json.RawMessage
		json.Unmarshal(b, &m)
		delete(m, "event")
		return m
	}
	return out
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, rc *reqCtx, events map[string]bool) {
	// Taken before the query runs, like pretix, so a client can pass it back
	// as modified_since without missing a concurrent change.
	generated := s.clock.Now()
	f, ok := parseOrderFilter(w, r.URL.Query())
	if !ok {
		return
	}
	var list []*storedOrder
	for _, o := range rc.org.orders {
		if events[o.Event] && f.match(o) {
			list = append(list, o)
		}
	}
	sortOrders(list, f.ordering)
	p, ok := paginate(w, r, list)
	if !ok {
		return
	}
	results := make([]any, len(p.Results))
	for i, o := range p.Results {
		results[i] = s.render(o, f.includeCanceledP, f.includeCanceledFe)
	}
	w.Header().Set("X-Page-Generated", generated.UTC().Format("2006-01-02T15:04:05.000000-07:00"))
	writeJSON(w, http.StatusOK, page[any]{Count: p.Count, Next: p.Next, Previous: p.Previous, Results: results})
}

func (s *Server) listEventOrders(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.token.team.CanViewOrders {
		writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
		return
	}
	s.listOrders(w, r, rc, map[string]bool{rc.ev.Slug: true})
}

// listOrganizerOrders includes only events the token may view orders of; a
// token without that permission anywhere gets an empty list, not a 403.
func (s *Server) listOrganizerOrders(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	events := map[string]bool{}
	if rc.token.team.CanViewOrders {
		for _, ev := range s.visibleEvents(rc) {
			events[ev.Slug] = true
		}
	}
	s.listOrders(w, r, rc, events)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.token.team.CanViewOrders {
		writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
		return
	}
	o := rc.ev.orders[r.PathValue("code")]
	if o == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.render(o, q.Get("include_canceled_positions") == "true", q.Get("include_canceled_fees") == "true"))
}
