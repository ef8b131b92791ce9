package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxMarketingEventInputs is the batch cap the emulator enforces on the
// marketing event endpoints; HubSpot documents none, so it takes the
// stricter reading of the CRM batch limit.
const maxMarketingEventInputs = 100

// MarketingEvent is one marketing event as the inspection API shows it.
type MarketingEvent struct {
	ObjectID          string
	App               string // the app that created it: only it may use the external ids
	ExternalAccountID string
	ExternalEventID   string
	Name              string
	Type              string
	Organizer         string
	URL               string
	Description       string
	Start, End        string
	Cancelled         bool
	Completed         bool
	Participants      []Participant // by contact id
	Writes            int           // upserts that changed it
}

// Participant is one contact's participation in a marketing event.
type Participant struct {
	ContactID  string
	Email      string
	State      string // REGISTERED, ATTENDED or CANCELLED
	JoinedAt   string // for ATTENDED, as sent
	OccurredAt time.Time
	// History lists every state recorded, oldest first: a client that sends a
	// change twice shows here.
	History []string
}

type mevent struct {
	MarketingEvent
	participants map[string]*Participant
}

var subscriberStates = map[string]string{"register": "REGISTERED", "attend": "ATTENDED", "cancel": "CANCELLED"}

// appOf names the app a call comes from: external ids are bound to it.
func (s *Server) appOf(c *callCtx) string {
	if c.static {
		return "private-app"
	}
	return strconv.FormatInt(s.opts.AppID, 10)
}

func meventKey(app, account, external string) string {
	return app + "\x00" + account + "\x00" + external
}

type meventInput struct {
	ExternalAccountID string `json:"externalAccountId"`
	ExternalEventID   string `json:"externalEventId"`
	EventName         string `json:"eventName"`
	EventType         string `json:"eventType"`
	EventOrganizer    string `json:"eventOrganizer"`
	EventURL          string `json:"eventUrl"`
	EventDescription  string `json:"eventDescription"`
	StartDateTime     string `json:"startDateTime"`
	EndDateTime       string `json:"endDateTime"`
	EventCancelled    *bool  `json:"eventCancelled"`
	EventCompleted    *bool  `json:"eventCompleted"`
}

// meventInputs decodes a marketing event batch body, within its limit.
func meventInputs[T any](body []byte) ([]T, *apiError) {
	var in struct {
		Inputs []T `json:"inputs"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("Invalid input JSON on line 1: " + err.Error())
	}
	if len(in.Inputs) > maxMarketingEventInputs {
		return nil, badRequest(fmt.Sprintf("Batch input limit exceeded: %d inputs were sent, the limit is %d.", len(in.Inputs), maxMarketingEventInputs))
	}
	return in.Inputs, nil
}

func (s *Server) upsertMarketingEvents(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope("crm.objects.marketing_events.write"); e != nil {
		s.writeError(w, e)
		return
	}
	inputs, e := meventInputs[meventInput](c.body)
	if e != nil {
		s.writeError(w, e)
		return
	}
	in := struct{ Inputs []meventInput }{inputs}
	// HubSpot validates the whole batch before it writes any of it.
	for i, x := range in.Inputs {
		var missing []string
		for name, v := range map[string]string{"externalAccountId": x.ExternalAccountID, "externalEventId": x.ExternalEventID,
			"eventName": x.EventName, "eventOrganizer": x.EventOrganizer} {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, name)
			}
		}
		for name, v := range map[string]string{"startDateTime": x.StartDateTime, "endDateTime": x.EndDateTime} {
			if _, ok := parseDateTime(v); v != "" && !ok {
				s.writeError(w, badRequest(fmt.Sprintf("inputs[%d].%s: %q is not an ISO 8601 date-time", i, name, v)))
				return
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			e := badRequest(fmt.Sprintf("inputs[%d]: the required fields %s are missing", i, strings.Join(missing, ", ")))
			e.body.Context = map[string][]string{"missingFields": missing}
			s.writeError(w, e)
			return
		}
	}
	started := s.clock.Now()
	app := s.appOf(c)
	pt := c.portal
	if pt.mevents == nil {
		pt.mevents = map[string]*mevent{}
	}
	results := []map[string]any{}
	for _, x := range in.Inputs {
		key := meventKey(app, x.ExternalAccountID, x.ExternalEventID)
		ev := pt.mevents[key]
		if ev == nil {
			ev = &mevent{MarketingEvent: MarketingEvent{ObjectID: pt.newID(), App: app,
				ExternalAccountID: x.ExternalAccountID, ExternalEventID: x.ExternalEventID}, participants: map[string]*Participant{}}
			pt.mevents[key] = ev
			pt.meventOrder = append(pt.meventOrder, key)
		}
		ev.Name, ev.Type, ev.Organizer, ev.URL, ev.Description = x.EventName, x.EventType, x.EventOrganizer, x.EventURL, x.EventDescription
		ev.Start, ev.End = x.StartDateTime, x.EndDateTime
		if x.EventCancelled != nil {
			ev.Cancelled = *x.EventCancelled
		}
		if x.EventCompleted != nil {
			ev.Completed = *x.EventCompleted
		}
		ev.Writes++
		results = append(results, ev.json())
	}
	s.writeBatch(w, http.StatusOK, results, nil, started)
}

func (ev *mevent) json() map[string]any {
	counts := map[string]int{}
	for _, p := range ev.participants {
		counts[p.State]++
	}
	return map[string]any{
		"objectId": ev.ObjectID, "externalEventId": ev.ExternalEventID, "eventName": ev.Name, "eventType": ev.Type,
		"eventOrganizer": ev.Organizer, "eventUrl": ev.URL, "eventDescription": ev.Description,
		"startDateTime": ev.Start, "endDateTime": ev.End, "eventCancelled": ev.Cancelled, "eventCompleted": ev.Completed,
		"registrants": counts["REGISTERED"] + counts["ATTENDED"], "attendees": counts["ATTENDED"], "cancellations": counts["CANCELLED"],
		"customProperties": []any{},
	}
}

// findMevent resolves the path's external event id for the calling app.
func (s *Server) findMevent(r *http.Request, c *callCtx) (*mevent, *apiError) {
	account := r.URL.Query().Get("externalAccountId")
	ext := r.PathValue("externalEventId")
	if ev := c.portal.mevents[meventKey(s.appOf(c), account, ext)]; ev != nil {
		return ev, nil
	}
	// Another app's event with these ids is as invisible as none.
	return nil, notFoundError(fmt.Sprintf("No marketing event with externalEventId %s and externalAccountId %s exists for this app", ext, account))
}

func (s *Server) getMarketingEvent(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope("crm.objects.marketing_events.read", "crm.objects.marketing_events.write"); e != nil {
		s.writeError(w, e)
		return
	}
	ev, e := s.findMevent(r, c)
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, ev.json())
}

type attendanceInput struct {
	Vid                 *int64            `json:"vid"`
	Email               string            `json:"email"`
	InteractionDateTime int64             `json:"interactionDateTime"`
	Properties          map[string]string `json:"properties"`
	ContactProperties   map[string]string `json:"contactProperties"`
}

// recordAttendance serves both attendance endpoints: by contact id
// (create) and by email (email-create, which creates missing contacts).
func (s *Server) recordAttendance(byEmail bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, c *callCtx) {
		if e := c.requireAnyScope("crm.objects.marketing_events.write"); e != nil {
			s.writeError(w, e)
			return
		}
		state, ok := subscriberStates[r.PathValue("subscriberState")]
		if !ok {
			s.writeError(w, badRequest(fmt.Sprintf("Unknown subscriberState %q: use register, attend or cancel", r.PathValue("subscriberState"))))
			return
		}
		inputs, e := meventInputs[attendanceInput](c.body)
		if e != nil {
			s.writeError(w, e)
			return
		}
		in := struct{ Inputs []attendanceInput }{inputs}
		ev, e := s.findMevent(r, c)
		if e != nil {
			s.writeError(w, e)
			return
		}
		started := s.clock.Now()
		pt := c.portal
		results := []map[string]any{}
		var errs []errorBody
		for _, x := range in.Inputs {
			for k := range x.Properties {
				if (k != "joinedAt" && k != "leftAt") || state != "ATTENDED" {
					errs = append(errs, errorBody{Status: "error", Category: "VALIDATION_ERROR",
						Message: fmt.Sprintf("Property %s is not allowed for the state %s", k, r.PathValue("subscriberState")),
						Context: map[string][]string{"ids": {attendanceRef(x)}}})
					goto next
				}
			}
			{
				var rec *record
				if byEmail {
					email := normEmail(x.Email)
					if !emailRE.MatchString(email) {
						errs = append(errs, errorBody{Status: "error", Category: "VALIDATION_ERROR", SubCategory: "INVALID_EMAIL",
							Message: fmt.Sprintf("Email address %s is invalid", x.Email), Context: map[string][]string{"emails": {x.Email}}})
						goto next
					}
					if rec = pt.findBy("contacts", "email", email); rec == nil {
						rec = s.newRecord(pt, "contacts", pt.newID())
						props := map[string]string{"email": email}
						for k, v := range x.ContactProperties {
							if k != "email" {
								props[k] = v
							}
						}
						applyProps(pt.objects["contacts"], rec, props)
					}
				} else {
					if x.Vid != nil {
						rec = pt.findBy("contacts", "", strconv.FormatInt(*x.Vid, 10))
					}
					if rec == nil {
						errs = append(errs, errorBody{Status: "error", Category: "OBJECT_NOT_FOUND",
							Message: fmt.Sprintf("Contact %s does not exist", attendanceRef(x)), Context: map[string][]string{"ids": {attendanceRef(x)}}})
						goto next
					}
				}
				p := ev.participants[rec.id]
				if p == nil {
					p = &Participant{ContactID: rec.id}
					ev.participants[rec.id] = p
				}
				p.Email, p.State, p.JoinedAt = rec.props["email"], state, x.Properties["joinedAt"]
				p.OccurredAt = time.UnixMilli(x.InteractionDateTime).UTC()
				p.History = append(p.History, state)
				res := map[string]any{"vid": json.Number(rec.id)}
				if byEmail {
					res["email"] = rec.props["email"]
				}
				results = append(results, res)
			}
		next:
		}
		s.writeBatch(w, http.StatusOK, results, errs, started)
	}
}

func attendanceRef(x attendanceInput) string {
	if x.Vid != nil {
		return strconv.FormatInt(*x.Vid, 10)
	}
	return x.Email
}

// MarketingEvents lists a portal's marketing events in creation order,
// with their participants.
func (s *Server) MarketingEvents(hubID int64) []MarketingEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.portals[hubID]
	if pt == nil {
		return nil
	}
	out := make([]MarketingEvent, 0, len(pt.meventOrder))
	for _, k := range pt.meventOrder {
		out = append(out, pt.mevents[k].snapshot())
	}
	return out
}

func (ev *mevent) snapshot() MarketingEvent {
	me := ev.MarketingEvent
	me.Participants = make([]Participant, 0, len(ev.participants))
	for _, p := range ev.participants {
		cp := *p
		cp.History = append([]string(nil), p.History...)
		me.Participants = append(me.Participants, cp)
	}
	sort.Slice(me.Participants, func(i, j int) bool { return me.Participants[i].ContactID < me.Participants[j].ContactID })
	return me
}

// marketingEventTypeID is the CRM object type id of marketing events.
const marketingEventTypeID = "0-54"

var meventTmpl = withLayout(`
<div class="card">
{{if .Error}}<div class="error" role="alert"><h2>Marketing event not found</h2><p>{{.Error}}</p></div>
{{else}}
<p class="muted">{{.Portal}} · Marketing event{{if .Ev.Cancelled}} · cancelled{{end}}</p>
<h1>{{.Ev.Name}}</h1>
<p class="sub">{{.Ev.Type}} · {{.Ev.Organizer}} · {{.Ev.Start}}{{if .Ev.End}} – {{.Ev.End}}{{end}}</p>
<h2 style="margin-top:1.25rem">Participants</h2>
<table data-testid="participants"><thead><tr><th scope="col">Contact</th><th scope="col">State</th><th scope="col">Joined at</th><th scope="col">History</th></tr></thead><tbody>
{{range .Ev.Participants}}<tr><td>{{.Email}}</td><td>{{.State}}</td><td>{{.JoinedAt}}</td><td>{{range $i, $h := .History}}{{if $i}}, {{end}}{{$h}}{{end}}</td></tr>
{{else}}<tr><td colspan="4">Nobody yet.</td></tr>{{end}}</tbody></table>
{{end}}
</div>`)

// marketingEventPage shows a marketing event with its participants, where
// the product's marketing event links point in a demo.
func (s *Server) marketingEventPage(w http.ResponseWriter, hub int64, objectID string) {
	data := struct {
		Title, Error, Portal string
		Ev                   MarketingEvent
	}{Title: "Marketing event"}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	s.mu.Lock()
	pt := s.portals[hub]
	var ev *mevent
	if pt != nil {
		for _, e := range pt.mevents {
			if e.ObjectID == objectID {
				ev = e
			}
		}
	}
	if ev == nil {
		s.mu.Unlock()
		data.Error = "This HubSpot account has no such marketing event."
		w.WriteHeader(http.StatusNotFound)
		_ = meventTmpl.Execute(w, data)
		return
	}
	data.Portal, data.Ev = pt.Portal.Name, ev.snapshot()
	s.mu.Unlock()
	data.Title = data.Ev.Name
	_ = meventTmpl.Execute(w, data)
}
