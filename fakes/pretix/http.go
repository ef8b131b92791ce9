package pretixfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Endpoint names as counted by RequestCounts: the route pattern without the
// path prefix.
const (
	EndpointVersion          = "GET /api/v1/version"
	EndpointOrganizers       = "GET /api/v1/organizers/"
	EndpointOrganizer        = "GET /api/v1/organizers/{org}/"
	EndpointEvents           = "GET /api/v1/organizers/{org}/events/"
	EndpointEvent            = "GET /api/v1/organizers/{org}/events/{event}/"
	EndpointEventSettings    = "GET /api/v1/organizers/{org}/events/{event}/settings/"
	EndpointItems            = "GET /api/v1/organizers/{org}/events/{event}/items/"
	EndpointItem             = "GET /api/v1/organizers/{org}/events/{event}/items/{id}/"
	EndpointVariations       = "GET /api/v1/organizers/{org}/events/{event}/items/{id}/variations/"
	EndpointCategories       = "GET /api/v1/organizers/{org}/events/{event}/categories/"
	EndpointQuestions        = "GET /api/v1/organizers/{org}/events/{event}/questions/"
	EndpointQuestionOptions  = "GET /api/v1/organizers/{org}/events/{event}/questions/{id}/options/"
	EndpointCheckinLists     = "GET /api/v1/organizers/{org}/events/{event}/checkinlists/"
	EndpointSubEvents        = "GET /api/v1/organizers/{org}/events/{event}/subevents/"
	EndpointOrganizerSubEvts = "GET /api/v1/organizers/{org}/subevents/"
	EndpointEventOrders      = "GET /api/v1/organizers/{org}/events/{event}/orders/"
	EndpointOrder            = "GET /api/v1/organizers/{org}/events/{event}/orders/{code}/"
	EndpointOrganizerOrders  = "GET /api/v1/organizers/{org}/orders/"
)

// reqCtx carries what the middleware resolved for a handler.
type reqCtx struct {
	token *tokenRec
	org   *organizer // nil for organizer-independent routes
	ev    *event
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx)

// scope says how much of the path a route's middleware must resolve.
type scope int

const (
	scopeNone      scope = iota // no authentication (version)
	scopeToken                  // authenticated, no organizer in the path
	scopeOrgDetail              // /organizers/{org}/: 404 when not visible
	scopeOrg                    // below /organizers/{org}/: 403 when not visible
	scopeEvent                  // below /events/{event}/: 403 when not visible
)

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.handle(EndpointVersion, scopeNone, s.getVersion)
	s.handle(EndpointOrganizers, scopeToken, s.listOrganizers)
	s.handle(EndpointOrganizer, scopeOrgDetail, s.getOrganizer)
	s.handle(EndpointEvents, scopeOrg, s.listEvents)
	s.handle(EndpointEvent, scopeEvent, s.getEvent)
	s.handle(EndpointEventSettings, scopeEvent, s.getEventSettings)
	s.handle(EndpointItems, scopeEvent, s.listItems)
	s.handle(EndpointItem, scopeEvent, s.getItem)
	s.handle(EndpointVariations, scopeEvent, s.listVariations)
	s.handle(EndpointCategories, scopeEvent, s.listCategories)
	s.handle(EndpointQuestions, scopeEvent, s.listQuestions)
	s.handle(EndpointQuestionOptions, scopeEvent, s.listQuestionOptions)
	s.handle(EndpointCheckinLists, scopeEvent, s.listCheckinLists)
	s.handle(EndpointSubEvents, scopeEvent, s.listSubEvents)
	s.handle(EndpointOrganizerSubEvts, scopeOrg, s.listOrganizerSubEvents)
	s.handle(EndpointEventOrders, scopeEvent, s.listEventOrders)
	s.handle(EndpointOrder, scopeEvent, s.getOrder)
	if !s.opts.LegacyNoOrganizerOrders {
		s.handle(EndpointOrganizerOrders, scopeOrg, s.listOrganizerOrders)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.stats.count("unrouted", "", http.StatusNotFound, s.clock.Now())
		if strings.HasPrefix(r.URL.Path, s.opts.PathPrefix+"/api/v1/") && r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)})
			return
		}
		// Django's production 404 page: HTML, not JSON.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>\n")
	})
}

func (s *Server) handle(pattern string, sc scope, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	full := method + " " + s.opts.PathPrefix + path
	if strings.HasSuffix(full, "/") {
		full += "{$}" // exact match: unknown sub-paths must reach the HTML 404
	}
	s.mux.HandleFunc(full, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, pattern, sc, h)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, endpoint string, sc scope, h handlerFunc) {
	f := s.currentFaults()
	if f.Latency > 0 {
		select {
		case <-s.clock.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if s.roll(f.DropRate) {
		s.stats.count(endpoint, s.tokenOrg(r), 0, s.clock.Now())
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if s.roll(f.ErrorRate) {
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		s.faultMu.Lock()
		code := codes[s.rnd.Intn(len(codes))]
		s.faultMu.Unlock()
		s.stats.count(endpoint, s.tokenOrg(r), code, s.clock.Now())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(code)
		fmt.Fprintf(w, "<!doctype html><html><body><h1>%d %s</h1></body></html>\n", code, http.StatusText(code))
		return
	}
	if s.opts.BeforeRequest != nil {
		s.opts.BeforeRequest(r)
	}
	sw := &statusWriter{ResponseWriter: w}
	orgKey := ""
	defer func() { s.stats.count(endpoint, orgKey, sw.status, s.clock.Now()) }()

	rc := &reqCtx{}
	if sc != scopeNone {
		tok, ok := s.authenticate(sw, r)
		if !ok {
			return
		}
		rc.token = tok
		orgKey = tok.org
		if wait, limited := s.limiter.take(tok.org); limited {
			secs := int((wait + 999_999_999) / 1_000_000_000)
			if secs < 1 {
				secs = 1
			}
			sw.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(sw, http.StatusTooManyRequests, map[string]string{
				"detail": fmt.Sprintf("Request was throttled. Expected available in %d seconds.", secs),
			})
			return
		}
	}
	if f.MalformedRate > 0 && s.roll(f.MalformedRate) {
		sw.Header().Set("Content-Type", "application/json")
		sw.WriteHeader(http.StatusOK)
		fmt.Fprint(sw, `{"count": 3, "next": null, "previous": null, "results": [{"code": "AB`)
		return
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if sc >= scopeOrgDetail {
		org := s.orgs[r.PathValue("org")]
		if org == nil || rc.token.org != org.Slug {
			if sc == scopeOrgDetail {
				writeDetail(sw, http.StatusNotFound, "Not found.")
			} else {
				writeDetail(sw, http.StatusForbidden, "You do not have permission to perform this action.")
			}
			return
		}
		rc.org = org
	}
	if sc == scopeEvent {
		ev := rc.org.events[r.PathValue("event")]
		if ev == nil || !teamCoversEvent(rc.token.team, ev.Slug) {
			writeDetail(sw, http.StatusForbidden, "You do not have permission to perform this action.")
			return
		}
		rc.ev = ev
	}
	h(sw, r, rc)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*tokenRec, bool) {
	h := r.Header.Get("Authorization")
	w.Header().Set("WWW-Authenticate", "Token")
	kind, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(kind, "Token") {
		writeDetail(w, http.StatusUnauthorized, "Authentication credentials were not provided.")
		return nil, false
	}
	s.mu.RLock()
	rec := s.tokens[strings.TrimSpace(tok)]
	s.mu.RUnlock()
	if rec == nil {
		writeDetail(w, http.StatusUnauthorized, "Invalid token.")
		return nil, false
	}
	w.Header().Del("WWW-Authenticate")
	return rec, true
}

// tokenOrg names the organizer of the request's token, for the request log
// of requests that fail before authentication.
func (s *Server) tokenOrg(r *http.Request) string {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.RLock()
	defer s.mu.RUnlock()
	if rec := s.tokens[strings.TrimSpace(tok)]; rec != nil {
		return rec.org
	}
	return ""
}

func teamCoversEvent(t Team, slug string) bool {
	if t.AllEvents {
		return true
	}
	for _, e := range t.LimitEvents {
		if e == slug {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

// page is DRF's page-number pagination envelope.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// maxPageSize is pretix's Pagination.max_page_size.
const maxPageSize = 50

// paginate cuts items into the requested page, or writes DRF's 404 and
// returns ok=false.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) (page[T], bool) {
	q := r.URL.Query()
	size := maxPageSize
	if v, err := strconv.Atoi(q.Get("page_size")); err == nil && v > 0 {
		size = min(v, maxPageSize)
	}
	n := 1
	if v := q.Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			writeDetail(w, http.StatusNotFound, "Invalid page.")
			return page[T]{}, false
		}
		n = p
	}
	pages := (len(items) + size - 1) / size
	if pages == 0 {
		pages = 1
	}
	if n > pages {
		writeDetail(w, http.StatusNotFound, "Invalid page.")
		return page[T]{}, false
	}
	lo := (n - 1) * size
	hi := min(lo+size, len(items))
	out := page[T]{Count: len(items), Results: items[lo:hi]}
	if out.Results == nil {
		out.Results = []T{}
	}
	if n < pages {
		u := pageURL(r, n+1)
		out.Next = &u
	}
	if n > 1 {
		u := pageURL(r, n-1)
		out.Previous = &u
	}
	return out, true
}

func pageURL(r *http.Request, n int) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := r.URL.Query()
	if n <= 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.Itoa(n))
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func writePage[T any](w http.ResponseWriter, r *http.Request, items []T) {
	p, ok := paginate(w, r, items)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type notFoundError struct{ what, key string }

func (e notFoundError) Error() string { return fmt.Sprintf("pretixfake: unknown %s %q", e.what, e.key) }

func errUnknown(what, key string) error { return notFoundError{what, key} }
