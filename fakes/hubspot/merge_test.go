package hubspotfake

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A merge as HubSpot does it: a survivor with a new id and both ids in
// hs_merged_object_ids; reads of an old id answer with the survivor;
// updates of it get 404; the other contact's email still finds the
// survivor; associations move over.
func TestMergeKeepsOldIDsReadableAndRefusesWritesToThem(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "a@example.org", "firstname": "Ann"})
	b := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "b@example.org", "lastname": "Other", "firstname": "Bea"})
	deal := e.srv.SeedRecord(hubEU, "deals", map[string]string{"dealname": "D"})
	e.srv.mu.Lock()
	e.srv.portals[hubEU].associate("deals", deal, "contacts", b, 3)
	e.srv.mu.Unlock()

	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"itself", map[string]any{"primaryObjectId": a, "objectIdToMerge": a}, 400},
		{"unknown", map[string]any{"primaryObjectId": a, "objectIdToMerge": "999"}, 404},
		{"missing field", map[string]any{"primaryObjectId": a}, 400},
	} {
		if st, _, body := e.call("POST", "/crm/objects/2026-09/contacts/merge", tc.body); st != tc.want {
			t.Errorf("%s: status %d %v, want %d", tc.name, st, body, tc.want)
		}
	}

	st, _, body := e.call("POST", "/crm/objects/2026-09/contacts/merge", map[string]any{"primaryObjectId": a, "objectIdToMerge": b})
	if st != 200 {
		t.Fatalf("merge: %d %v", st, body)
	}
	survivor := body["id"].(string)
	props := body["properties"].(map[string]any)
	if survivor == a || survivor == b || props["email"] != "a@example.org" || props["firstname"] != "Ann" || props["lastname"] != "Other" ||
		props["hs_additional_emails"] != "b@example.org" || props["hs_merged_object_ids"] != a+";"+b {
		t.Fatalf("survivor %s %v", survivor, props)
	}

	st, _, body = e.call("GET", "/crm/objects/2026-09/contacts/"+b, nil)
	if st != 200 || body["id"] != survivor {
		t.Errorf("GET old id: %d %v, want the survivor", st, body)
	}
	st, _, body = e.call("POST", "/crm/objects/2026-09/contacts/batch/read", map[string]any{"idProperty": "email", "properties": []string{"firstname"},
		"inputs": []any{map[string]string{"id": "b@example.org"}}})
	if res, _ := body["results"].([]any); st != 200 || len(res) != 1 || res[0].(map[string]any)["id"] != survivor {
		t.Errorf("read by the merged email: %d %v, want the survivor", st, body)
	}
	st, _, body = e.call("POST", "/crm/objects/2026-09/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": b, "properties": map[string]string{"firstname": "X"}, "objectWriteTraceId": "t1"}}})
	if st != 207 {
		t.Errorf("update of the old id: %d %v, want 207 with 404", st, body)
	} else if errs := body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["category"] != "OBJECT_NOT_FOUND" {
		t.Errorf("update of the old id: %v", body)
	}
	if got := e.srv.Associations(hubEU, "deals", deal, "contacts"); len(got[survivor]) == 0 || len(got[b]) != 0 {
		t.Errorf("deal's contacts %v; want the survivor %s only", got, survivor)
	}
	if n := len(e.srv.Records(hubEU, "contacts")); n != 1 {
		t.Errorf("%d live contacts, want the survivor only", n)
	}
}

// The record page's Merge form, for trying a merge in a demo.
func TestMergeFromTheRecordPage(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "a@example.org", "firstname": "Ann"})
	b := e.srv.SeedRecord(hubEU, "contacts", map[string]string{"email": "b@example.org"})
	page := fmt.Sprintf("%s/contacts/%d/record/0-1/", e.ts.URL, hubEU)
	noRedirect := *e.ts.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		other  string
		status int
	}{{"999", 404}, {a, 400}, {b, 303}} {
		resp, err := noRedirect.PostForm(page+a+"/merge", url.Values{"other": {tc.other}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("merge %s: %d %s", tc.other, resp.StatusCode, body)
		}
		if tc.status == 303 {
			survivor := e.srv.Records(hubEU, "contacts")[0].ID
			if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/record/0-1/"+survivor) || survivor == a || survivor == b {
				t.Errorf("redirect to %q, survivor %s", loc, survivor)
			}
		} else if !strings.Contains(string(body), "Record not found") {
			t.Errorf("merge %s: no explanation: %s", tc.other, body)
		}
	}
	resp, err := e.ts.Client().Get(page + b)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Ann") || !strings.Contains(string(body), "b@example.org") {
		t.Errorf("the old id's page: %d %s", resp.StatusCode, body)
	}
}
