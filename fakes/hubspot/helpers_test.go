package hubspotfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var allScopes = []string{"oauth",
	"crm.objects.contacts.read", "crm.objects.contacts.write",
	"crm.objects.companies.read", "crm.objects.companies.write",
	"crm.objects.deals.read", "crm.objects.deals.write",
	"crm.schemas.contacts.read", "crm.schemas.companies.read", "crm.schemas.deals.read",
	"crm.schemas.contacts.write", "crm.schemas.companies.write", "crm.schemas.deals.write"}

const hubEU = 24681357

type env struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *clockwork.FakeClock
	token string
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	if opts.Clock == nil {
		opts.Clock = fc
	}
	srv := New(opts)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	at, _ := srv.IssueToken(hubEU, allScopes)
	return &env{t: t, srv: srv, ts: ts, clock: fc, token: at}
}

// call sends a JSON request with the env's token and decodes the response.
func (e *env) call(method, path string, body any) (int, http.Header, map[string]any) {
	return e.callAs(e.token, method, path, body)
}

func (e *env) callAs(token, method, path string, body any) (int, http.Header, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: status %d, body is not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func (e *env) form(path string, vals url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := e.ts.Client().Post(e.ts.URL+path, "application/x-www-form-urlencoded", strings.NewReader(vals.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// list returns body[key] as a list of objects.
func list(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	raw, _ := body[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

func props(r map[string]any) map[string]any { return r["properties"].(map[string]any) }

func ctxList(t *testing.T, errEntry map[string]any, key string) []string {
	t.Helper()
	c, _ := errEntry["context"].(map[string]any)
	raw, _ := c[key].([]any)
	var out []string
	for _, x := range raw {
		out = append(out, x.(string))
	}
	return out
}

const v = "/crm/objects/2026-03/"
