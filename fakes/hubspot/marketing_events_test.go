package hubspotfake

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

const mePath = "/marketing/marketing-events/2026-09"

func TestMarketingEventEndpoints(t *testing.T) {
	e := newEnv(t, Options{StaticTokens: []StaticToken{{Token: "pat", HubID: hubEU, Scopes: []string{"crm.objects.marketing_events.write"}}}})
	meToken, _ := e.srv.IssueToken(hubEU, append(append([]string{}, allScopes...), "crm.objects.marketing_events.read", "crm.objects.marketing_events.write"))
	event := map[string]any{"externalAccountId": "pretix.eu/acme", "externalEventId": "conf", "eventName": "Conf", "eventOrganizer": "Acme",
		"startDateTime": "2026-12-01T09:00:00Z"}
	attend := func(token, state, endpoint string, inputs ...map[string]any) (int, map[string]any) {
		st, _, body := e.callAs(token, "POST", mePath+"/attendance/conf/"+state+"/"+endpoint+"?externalAccountId=pretix.eu/acme", map[string]any{"inputs": inputs})
		return st, body
	}

	// Without the scope: HubSpot's 403 naming it.
	st, _, body := e.call("POST", mePath+"/events/upsert", map[string]any{"inputs": []any{event}})
	if st != 403 || !strings.Contains(fmt.Sprint(body), "crm.objects.marketing_events.write") {
		t.Fatalf("no scope: %d %v", st, body)
	}
	for _, tc := range []struct {
		name   string
		inputs []any
		status int
		want   string
	}{
		{"required fields", []any{map[string]any{"externalAccountId": "a", "externalEventId": "b"}}, 400, "eventName, eventOrganizer"},
		{"a bad date", []any{map[string]any{"externalAccountId": "a", "externalEventId": "b", "eventName": "x", "eventOrganizer": "y", "startDateTime": "tomorrow"}}, 400, "ISO 8601"},
		{"over the batch limit", func() []any {
			var in []any
			for i := 0; i < 101; i++ {
				in = append(in, event)
			}
			return in
		}(), 400, "limit is 100"},
		{"created", []any{event}, 200, "COMPLETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := e.callAs(meToken, "POST", mePath+"/events/upsert", map[string]any{"inputs": tc.inputs})
			if st != tc.status || !strings.Contains(fmt.Sprint(body), tc.want) {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
	mes := e.srv.MarketingEvents(hubEU)
	if len(mes) != 1 || mes[0].Name != "Conf" || mes[0].ObjectID == "" {
		t.Fatalf("events = %+v", mes)
	}

	// Another app (a private app token) does not see it by its external ids.
	if st, body := attend("pat", "register", "email-create", map[string]any{"email": "a@example.org", "interactionDateTime": 1}); st != 404 {
		t.Errorf("another app: %d %v", st, body)
	}
	// By email: a missing contact is created; a bad email is a 207 entry.
	st, body = attend(meToken, "register", "email-create",
		map[string]any{"email": "Ann@Example.org", "interactionDateTime": 1764576000000, "contactProperties": map[string]string{"firstname": "Ann"}},
		map[string]any{"email": "broken@nowhere", "interactionDateTime": 1})
	if st != 207 || !strings.Contains(fmt.Sprint(body), "Email address broken@nowhere is invalid") {
		t.Fatalf("email-create: %d %v", st, body)
	}
	ann, ok := e.srv.FindRecord(hubEU, "contacts", "email", "ann@example.org")
	if !ok || ann.Properties["firstname"] != "Ann" {
		t.Fatalf("contact = %+v, %v", ann, ok)
	}
	vid, _ := strconv.ParseInt(ann.ID, 10, 64)
	// By id: attend with joinedAt; an unknown id and a property the state
	// does not allow are entries of their own.
	st, body = attend(meToken, "attend", "create",
		map[string]any{"vid": vid, "interactionDateTime": 2, "properties": map[string]string{"joinedAt": "1764580000000"}},
		map[string]any{"vid": 999, "interactionDateTime": 2})
	if st != 207 || !strings.Contains(fmt.Sprint(body), "Contact 999 does not exist") {
		t.Fatalf("create: %d %v", st, body)
	}
	if st, body := attend(meToken, "cancel", "create", map[string]any{"vid": vid, "interactionDateTime": 3, "properties": map[string]string{"joinedAt": "1"}}); st != 207 ||
		!strings.Contains(fmt.Sprint(body), "not allowed for the state cancel") {
		t.Errorf("joinedAt on cancel: %d %v", st, body)
	}
	if st, body := attend(meToken, "maybe", "create", map[string]any{"vid": vid}); st != 400 {
		t.Errorf("unknown state: %d %v", st, body)
	}
	p := e.srv.MarketingEvents(hubEU)[0].Participants
	if len(p) != 1 || p[0].State != "ATTENDED" || p[0].JoinedAt != "1764580000000" || strings.Join(p[0].History, ",") != "REGISTERED,ATTENDED" {
		t.Errorf("participants = %+v", p)
	}
	st, _, body = e.callAs(meToken, "GET", mePath+"/events/conf?externalAccountId=pretix.eu/acme", nil)
	if st != 200 || body["attendees"] != float64(1) || body["registrants"] != float64(1) {
		t.Errorf("get: %d %v", st, body)
	}
}
