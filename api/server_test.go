package api

import (
	"strings"
	"testing"
	"time"
)

func TestRouting(t *testing.T) {
	env := newTestEnv(t)
	env.signUp()
	tests := []struct {
		name        string
		method      string
		path        string
		hdr         map[string]string
		status      int
		contentType string
		contains    string
		cache       string
	}{
		{"health", "GET", "/healthz", nil, 200, "application/json", `"ok"`, ""},
		{"unknown api path is JSON 404", "GET", "/api/x", nil, 404, "application/json", `"not_found"`, ""},
		{"unknown nested api path is JSON 404", "GET", "/api/organizers/1/nothing", nil, 404, "application/json", `"error"`, ""},
		{"SPA deep link gets index.html", "GET", "/organizers/acme/events/conf/orders", nil, 200, "text/html", `<div id=app>`, "no-cache"},
		{"root gets index.html", "GET", "/", nil, 200, "text/html", `<div id=app>`, "no-cache"},
		{"hashed asset cached forever", "GET", "/assets/app-abc.js", nil, 200, "javascript", "console.log", "immutable"},
		{"missing asset is 404, not HTML", "GET", "/assets/gone.js", nil, 404, "application/json", "", ""},
		{"foreign Host refused", "GET", "/api/me", map[string]string{"Host": "evil.example:8080"}, 403, "application/json", `"host_not_allowed"`, ""},
		{"foreign Host refused for SPA too", "GET", "/", map[string]string{"Host": "rebind.example"}, 403, "application/json", `"host_not_allowed"`, ""},
		{"me with session", "GET", "/api/me", nil, 200, "application/json", `"admin"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.do(tt.method, tt.path, nil, tt.hdr)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, tt.contentType) {
				t.Errorf("content type %q, want %q", ct, tt.contentType)
			}
			if !strings.Contains(string(r.Body), tt.contains) {
				t.Errorf("body %q lacks %q", r.Body, tt.contains)
			}
			if tt.cache != "" && !strings.Contains(r.Header.Get("Cache-Control"), tt.cache) {
				t.Errorf("cache-control %q, want %q", r.Header.Get("Cache-Control"), tt.cache)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("security headers missing")
			}
		})
	}
}

func TestUnauthenticatedAPIIs401JSON(t *testing.T) {
	env := newTestEnv(t)
	r := env.do("GET", "/api/me", nil, nil)
	if r.Status != 401 {
		t.Fatalf("status %d", r.Status)
	}
	e := r.json(t)["error"].(map[string]any)
	if e["code"] != "not_signed_in" || e["message"] == "" {
		t.Fatalf("error body %v", e)
	}
}

func TestCSRF(t *testing.T) {
	env := newTestEnv(t)
	env.signUp()
	good := env.csrf
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"missing token", "", 403},
		{"wrong token", "not-the-token", 403},
		{"right token", good, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.csrf = ""
			hdr := map[string]string{}
			if tt.token != "" {
				hdr["X-CSRF-Token"] = tt.token
			}
			r := env.do("POST", "/api/logout", nil, hdr)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == 403 && !strings.Contains(string(r.Body), "csrf_failed") {
				t.Fatalf("body %s", r.Body)
			}
		})
	}
}

func TestPreSessionCSRFRequiredForLogin(t *testing.T) {
	env := newTestEnv(t)
	r := env.do("POST", "/api/setup", map[string]string{"username": "admin", "password": "correct horse battery"}, nil)
	if r.Status != 403 {
		t.Fatalf("setup without token: %d", r.Status)
	}
	env.refreshCSRF()
	r = env.do("POST", "/api/setup", map[string]string{"username": "admin", "password": "correct horse battery"}, nil)
	if r.Status != 200 {
		t.Fatalf("setup with token: %d %s", r.Status, r.Body)
	}
}

func TestOriginCheck(t *testing.T) {
	env := newTestEnv(t)
	env.signUp()
	for _, tc := range []struct {
		name, method, origin string
		status               int
	}{
		{"foreign origin refused", "POST", "https://evil.example", 403},
		{"null origin refused", "POST", "null", 403},
		{"look-alike port refused", "POST", "http://127.0.0.1:1", 403},
		{"own origin passes", "POST", env.srv.URL, 404},
		{"no origin passes", "POST", "", 404},
		{"safe methods are not checked", "GET", "https://evil.example", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			r := env.do(tc.method, "/api/nothing-here", nil, hdr)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status == 403 && !strings.Contains(string(r.Body), "origin_not_allowed") {
				t.Fatalf("body %s", r.Body)
			}
		})
	}
}

// TestHealthzReportsUnwritableDatabase: a database that takes no writes
// (full or read-only disk) makes /healthz fail with a message.
func TestHealthzReportsUnwritableDatabase(t *testing.T) {
	env := newTestEnv(t)
	if r := env.do("GET", "/healthz", nil, nil); r.Status != 200 {
		t.Fatalf("healthy: %d %s", r.Status, r.Body)
	}
	if err := env.db.Exec("PRAGMA query_only = ON").Error; err != nil {
		t.Fatal(err)
	}
	defer env.db.Exec("PRAGMA query_only = OFF")
	// Within the second the last answer stands: the probe is rate-bounded.
	if r := env.do("GET", "/healthz", nil, nil); r.Status != 200 {
		t.Fatalf("cached answer: %d", r.Status)
	}
	env.clock.Advance(2 * time.Second)
	r := env.do("GET", "/healthz", nil, nil)
	if r.Status != 503 || !strings.Contains(string(r.Body), "cannot be written") {
		t.Fatalf("unwritable database: %d %s", r.Status, r.Body)
	}
}
