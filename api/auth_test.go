package api

import (
	"strings"
	"testing"
	"time"
)

func TestFirstRunSetupLoginLogout(t *testing.T) {
	env := newTestEnv(t)
	state := env.refreshCSRF()
	if state["needs_setup"] != true || state["user"] != nil {
		t.Fatalf("fresh install state %v", state)
	}

	// Setup validates input with field messages.
	r := env.do("POST", "/api/setup", map[string]string{"username": "", "password": "short"}, nil)
	if r.Status != 400 {
		t.Fatalf("bad setup status %d", r.Status)
	}
	fields := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
	if fields["username"] == nil || fields["password"] == nil {
		t.Fatalf("fields %v", fields)
	}

	env.signUp()
	if r := env.do("GET", "/api/me", nil, nil); r.Status != 200 {
		t.Fatalf("me after setup: %d", r.Status)
	}

	// A second setup is refused even with a valid token.
	r = env.do("POST", "/api/setup", map[string]string{"username": "mallory", "password": "another long password"}, nil)
	if r.Status != 409 {
		t.Fatalf("second setup: %d %s", r.Status, r.Body)
	}

	if r := env.do("POST", "/api/logout", nil, nil); r.Status != 204 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := env.do("GET", "/api/me", nil, nil); r.Status != 401 {
		t.Fatalf("me after logout: %d", r.Status)
	}

	state = env.refreshCSRF()
	if state["needs_setup"] != false {
		t.Fatalf("state after setup %v", state)
	}
	r = env.do("POST", "/api/login", map[string]string{"username": "admin", "password": "wrong password!"}, nil)
	if r.Status != 401 || !strings.Contains(string(r.Body), "username or password is wrong") {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	r = env.do("POST", "/api/login", map[string]string{"username": "ADMIN", "password": "correct horse battery"}, nil)
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	env.csrf = r.json(t)["data"].(map[string]any)["csrf_token"].(string)
	if r := env.do("GET", "/api/me", nil, nil); r.Status != 200 {
		t.Fatalf("me after login: %d", r.Status)
	}
	for _, c := range env.client.Jar.Cookies(mustURL(env.srv.URL)) {
		if c.Name == sessionCookie && c.Value == "" {
			t.Fatal("empty session cookie")
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	env := newTestEnv(t)
	env.signUp()
	env.do("POST", "/api/logout", nil, nil)
	env.refreshCSRF()
	for i := 0; i < 5; i++ {
		if r := env.do("POST", "/api/login", map[string]string{"username": "admin", "password": "guess number " + string(rune('a'+i))}, nil); r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	// Even the right password is refused while blocked…
	r := env.do("POST", "/api/login", map[string]string{"username": "admin", "password": "correct horse battery"}, nil)
	if r.Status != 429 || !strings.Contains(string(r.Body), "Too many failed sign-in attempts") {
		t.Fatalf("blocked login: %d %s", r.Status, r.Body)
	}
	// …and accepted once the window has passed.
	env.clock.Advance(16 * time.Minute)
	if r := env.do("POST", "/api/login", map[string]string{"username": "admin", "password": "correct horse battery"}, nil); r.Status != 200 {
		t.Fatalf("after window: %d %s", r.Status, r.Body)
	}
}

func TestSessionExpires(t *testing.T) {
	env := newTestEnv(t)
	env.signUp()
	env.clock.Advance(15 * 24 * time.Hour)
	if r := env.do("GET", "/api/me", nil, nil); r.Status != 401 {
		t.Fatalf("expired session accepted: %d", r.Status)
	}
}
