package pretixfake

import (
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

const testToken = "tok-all"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	srv   *Server
	http  *httptest.Server
	clock *clockwork.FakeClock
}

// newFixture starts an emulator with organizer "acme", an all-permission
// token, events "conf" and "series" and n generated orders in "conf".
func newFixture(t *testing.T, opts Options, n int) *fixture {
	t.Helper()
	fc := clockwork.NewFakeClockAt(t0)
	if opts.Clock == nil {
		opts.Clock = fc
	}
	s := New(opts)
	t.Cleanup(s.Close)
	s.AddOrganizer("acme", "ACME Events")
	if err := s.AddToken("acme", testToken, Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedEvent("acme", "conf", EventSpec{Name: LocalizedString{"en": "Conf", "de": "Konferenz"}, NameScheme: "title_given_middle_family"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedEvent("acme", "series", EventSpec{HasSubevents: true}); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if _, err := s.GenerateOrders("acme", "conf", n, rand.New(rand.NewSource(7))); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &fixture{srv: s, http: hs, clock: fc}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func get(t *testing.T, url, token string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// listPage decodes a paginated list.
type listPage struct {
	Count    int               `json:"count"`
	Next     *string           `json:"next"`
	Previous *string           `json:"previous"`
	Results  []json.RawMessage `json:"results"`
}

func (r response) page(t *testing.T) listPage {
	t.Helper()
	var p listPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a page: %v\n%s", err, r.body)
	}
	return p
}

// allOrders follows next links and decodes every order.
func allOrders(t *testing.T, url string) []Order {
	t.Helper()
	var out []Order
	for url != "" {
		r := get(t, url, testToken)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", url, r.status, r.body)
		}
		p := r.page(t)
		for _, raw := range p.Results {
			var o Order
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		url = ""
		if p.Next != nil {
			url = *p.Next
		}
	}
	return out
}
