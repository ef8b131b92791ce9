package api

import (
	"strings"
	"testing"
)

func TestHubSpotAppSettingsAPI(t *testing.T) {
	e := newTestEnv(t)
	e.signUp()
	const secret = "s3cret-value-that-must-never-come-back"
	steps := []struct {
		name       string
		method     string
		body       any
		wantStatus int
		want       []string
	}{
		{"empty at first, with what to register", "GET", nil, 200, []string{`"configured":false`, `"client_secret_set":false`,
			`"redirect_uri":"` + e.srv.URL + `/oauth/hubspot/callback"`, `"scope":"crm.objects.deals.write"`, `"scope":"crm.schemas.deals.write"`}},
		{"client id required", "PUT", map[string]string{"client_secret": secret}, 400, []string{`"client_id":"Required."`}},
		{"secret required the first time", "PUT", map[string]string{"client_id": "abc"}, 400, []string{`"client_secret":"Required."`}},
		{"save", "PUT", map[string]string{"client_id": "abc-123", "client_secret": secret}, 200, []string{`"client_id":"abc-123"`, `"client_secret_set":true`, `"configured":true`}},
		{"read back without the secret", "GET", nil, 200, []string{`"client_id":"abc-123"`, `"client_secret_set":true`, `"from_env":false`}},
		{"change the id, keep the secret", "PUT", map[string]string{"client_id": "abc-456", "client_secret": ""}, 200, []string{`"client_id":"abc-456"`, `"client_secret_set":true`}},
		{"bad JSON", "PUT", "not an object", 400, []string{"bad_json"}},
	}
	for _, s := range steps {
		r := e.do(s.method, "/api/settings/hubspot-app", s.body, nil)
		if r.Status != s.wantStatus {
			t.Fatalf("%s: %d %s", s.name, r.Status, r.Body)
		}
		for _, w := range s.want {
			if !strings.Contains(string(r.Body), w) {
				t.Errorf("%s: body lacks %s: %s", s.name, w, r.Body)
			}
		}
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("%s: the client secret came back: %s", s.name, r.Body)
		}
	}
	id, sec, err := e.hubspot.Store().AppCredentials(t.Context())
	if err != nil || id != "abc-456" || sec != secret {
		t.Errorf("stored %q %q %v", id, sec, err)
	}
}
