package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Marketing event scopes: optional on the authorize URL, since only events
// that turn the feature on need them (docs/marketing-events.md).
const (
	ScopeMarketingEventsRead  = "crm.objects.marketing_events.read"
	ScopeMarketingEventsWrite = "crm.objects.marketing_events.write"
)

// MaxMarketingEventInputs bounds one marketing event or attendance call.
const MaxMarketingEventInputs = 100

// MarketingEvent is one marketing event, keyed by the external ids our app
// gives it (only the app that created an event may use them).
type MarketingEvent struct {
	ExternalAccountID string
	ExternalEventID   string
	Name              string
	Type              string
	Organizer         string
	URL               string
	Description       string
	Start, End        *time.Time
	Cancelled         bool
}

// Subscriber states of the attendance endpoints.
const (
	AttendanceRegister = "register"
	AttendanceAttend   = "attend"
	AttendanceCancel   = "cancel"
)

// Attendee is one contact's state change: by ContactID when the contact is
// known, else by Email (HubSpot then creates a missing contact).
type Attendee struct {
	ContactID string
	Email     string
	At        time.Time  // when it happened (interactionDateTime)
	JoinedAt  *time.Time // attend only
}

// AttendanceResult maps failed inputs (by index) to their error; the rest
// are recorded, and ContactIDs holds the contact of each recorded input.
type AttendanceResult struct {
	Errors     map[int]*Error
	ContactIDs map[int]string
}

// UpsertMarketingEvents creates or updates up to MaxMarketingEventInputs
// events in one call and returns HubSpot's object id per external event id.
func (c *Client) UpsertMarketingEvents(ctx context.Context, evs []MarketingEvent) (map[string]string, error) {
	if len(evs) > MaxMarketingEventInputs {
		return nil, tooMany("upsert marketing events", len(evs), MaxMarketingEventInputs)
	}
	const op = "upsert marketing events"
	inputs := make([]map[string]any, 0, len(evs))
	for _, ev := range evs {
		in := map[string]any{"externalAccountId": ev.ExternalAccountID, "externalEventId": ev.ExternalEventID,
			"eventName": ev.Name, "eventOrganizer": ev.Organizer, "eventType": ev.Type, "eventUrl": ev.URL,
			"eventDescription": ev.Description, "eventCancelled": ev.Cancelled}
		if ev.Start != nil {
			in["startDateTime"] = ev.Start.UTC().Format(time.RFC3339)
		}
		if ev.End != nil {
			in["endDateTime"] = ev.End.UTC().Format(time.RFC3339)
		}
		inputs = append(inputs, in)
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/marketing/marketing-events/" + APIVersion + "/events/upsert",
		body: map[string]any{"inputs": inputs}, idempotent: true})
	if err != nil {
		return nil, wholeBatch(err)
	}
	var out struct {
		Results []struct {
			ObjectID        string `json:"objectId"`
			ExternalEventID string `json:"externalEventId"`
		} `json:"results"`
	}
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	ids := make(map[string]string, len(out.Results))
	for _, r := range out.Results {
		ids[r.ExternalEventID] = r.ObjectID
	}
	for _, ev := range evs {
		if ids[ev.ExternalEventID] == "" {
			return ids, &Error{Class: ClassTemporary, Op: op, Status: resp.status, Message: "HubSpot did not confirm the marketing event " + ev.ExternalEventID}
		}
	}
	return ids, nil
}

// RecordAttendance records up to MaxMarketingEventInputs state changes of one
// event, all by contact id (byEmail false) or all by email. Recording a
// state again is harmless in HubSpot but adds a timeline entry, so callers
// send each change once.
func (c *Client) RecordAttendance(ctx context.Context, account, external, state string, byEmail bool, in []Attendee) (*AttendanceResult, error) {
	op := "record marketing event attendance (" + state + ")"
	if len(in) > MaxMarketingEventInputs {
		return nil, tooMany(op, len(in), MaxMarketingEventInputs)
	}
	endpoint := "create"
	if byEmail {
		endpoint = "email-create"
	}
	inputs := make([]map[string]any, 0, len(in))
	for _, a := range in {
		x := map[string]any{"interactionDateTime": a.At.UnixMilli()}
		if byEmail {
			x["email"] = a.Email
		} else {
			vid, err := strconv.ParseInt(a.ContactID, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("hubspot: %s: contact id %q is not a number", op, a.ContactID)
			}
			x["vid"] = vid
		}
		if a.JoinedAt != nil {
			x["properties"] = map[string]string{"joinedAt": strconv.FormatInt(a.JoinedAt.UnixMilli(), 10)}
		}
		inputs = append(inputs, x)
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost,
		path:  "/marketing/marketing-events/" + APIVersion + "/attendance/" + url.PathEscape(external) + "/" + state + "/" + endpoint,
		query: url.Values{"externalAccountId": {account}}, body: map[string]any{"inputs": inputs}, idempotent: true})
	if err != nil {
		return nil, wholeBatch(err)
	}
	var out struct {
		Results []struct {
			Vid   jsonID `json:"vid"`
			Email string `json:"email"`
		} `json:"results"`
		Errors []wireError `json:"errors"`
	}
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	res := &AttendanceResult{Errors: map[int]*Error{}, ContactIDs: map[int]string{}}
	byRef := map[string][]int{}
	for i, a := range in {
		ref := a.ContactID
		if byEmail {
			ref = strings.ToLower(strings.TrimSpace(a.Email))
		}
		byRef[ref] = append(byRef[ref], i)
	}
	for _, r := range out.Results {
		ref := string(r.Vid)
		if byEmail {
			ref = strings.ToLower(r.Email)
		}
		for _, i := range byRef[ref] {
			res.ContactIDs[i] = string(r.Vid)
		}
	}
	var unattributed *Error
	for _, we := range out.Errors {
		e := classifyItem(op, we)
		placed := false
		for _, key := range []string{"ids", "emails"} {
			for _, ref := range we.Context[key] {
				for _, i := range byRef[strings.ToLower(ref)] {
					res.Errors[i], placed = e, true
				}
			}
		}
		if !placed && unattributed == nil {
			unattributed = e
		}
	}
	for i := range in {
		if _, ok := res.ContactIDs[i]; ok {
			continue
		}
		if _, failed := res.Errors[i]; failed {
			continue
		}
		if unattributed != nil {
			res.Errors[i] = unattributed
		} else {
			res.Errors[i] = &Error{Class: ClassTemporary, Op: op, Status: resp.status, Message: "HubSpot did not confirm this attendance"}
		}
	}
	return res, nil
}

// jsonID reads an id HubSpot sends as a number or a string.
type jsonID string

func (j *jsonID) UnmarshalJSON(b []byte) error {
	*j = jsonID(strings.Trim(string(b), `"`))
	return nil
}

// MarketingEventURL links to a marketing event in HubSpot's UI: marketing
// events are CRM object 0-54, shown on the same record pages as contacts.
func (c *Connection) MarketingEventURL(objectID string) string {
	if objectID == "" {
		return ""
	}
	u := c.RecordURL(Contacts, objectID)
	return strings.Replace(u, "/record/"+Contacts.TypeID()+"/", "/record/0-54/", 1)
}

// LinkConnection is Connection with record links pointed where this
// service's links point (the emulator's pages in a demo).
func (s *Service) LinkConnection(ctx context.Context, hubID int64) (*Connection, error) {
	conn, err := s.Connection(ctx, hubID)
	if err == nil && s.opts.RecordLinksToAppBase {
		conn.RecordBase = s.opts.AppBaseURL
	}
	return conn, err
}
