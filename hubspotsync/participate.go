package hubspotsync

import (
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// objectMarketingEvents is the object type of participation results in the
// order box ("marketing_events", HubSpot's object 0-54).
const objectMarketingEvents = "marketing_events"

// rank orders participation states: a contact with several tickets takes
// the strongest state any of them wants.
var rank = map[string]int{models.ParticipationCancelled: 1, models.ParticipationRegistered: 2, models.ParticipationAttended: 3}

type contactKey struct{ ext, email string }

type partKey struct{ order, pos int64 }

// ticket is one position of the batch that wants a participation.
type ticket struct {
	o *orderState
	a *attendance
}

// participant is one contact in one marketing event: every ticket of the
// batch with its email, what HubSpot holds, what it should hold.
type participant struct {
	key     contactKey
	rec     *models.MarketingEventRecord
	tickets []ticket
	current *models.MarketingContact // nil: nothing sent yet
	want    string
	at      time.Time
	joined  *time.Time
	contact string // HubSpot contact id when known
	held    string // the state HubSpot holds: current, then each confirmed change
	sends   []string
	sent    bool // every send confirmed (or nothing to send)
	failed  bool
}

// participate sends what changed in the batch's attendance (after the CRM
// records are written, so attendees' contacts are known by id): first the
// marketing events themselves where new or changed, then registrations,
// attendances and cancellations per contact, each batched across orders
// per event. HubSpot keeps one participation per contact, so a contact's
// state is the strongest any of its tickets wants (one canceled ticket of
// two cancels nothing); what HubSpot holds is stored, so each change is
// sent once.
func (r *run) participate() {
	mk := r.mk
	if mk == nil {
		return
	}
	var orders []*orderState
	var orderIDs []int64
	subevents := map[int64]bool{}
	for _, o := range r.orders {
		if o.fail != nil || len(o.attend) == 0 {
			continue
		}
		orders = append(orders, o)
		orderIDs = append(orderIDs, o.job.OrderID)
		for i := range o.attend {
			subevents[o.attend[i].subevent] = true
		}
	}
	if len(orders) == 0 {
		return
	}
	recs, err := r.ensureMarketingEvents(subevents)
	if err != nil {
		f := failureOf(err, "")
		f.msg = "Marketing events: " + f.msg
		r.failAll(orders, f)
		return
	}
	byKey := map[contactKey]*participant{}
	var parts []*participant
	for _, o := range orders {
		for i := range o.attend {
			a := &o.attend[i]
			rec := recs[a.subevent]
			if rec == nil {
				o.failWith(&failure{mode: models.FailureConfig, msg: "The event date of this ticket is not in the stored catalogue. Refresh the event from pretix; the sync is retried then."})
				break
			}
			k := contactKey{rec.ExternalEventID, a.email}
			pt := byKey[k]
			if pt == nil {
				pt = &participant{key: k, rec: rec}
				byKey[k] = pt
				parts = append(parts, pt)
			}
			pt.tickets = append(pt.tickets, ticket{o, a})
		}
	}
	keys := make([]string, 0, len(parts))
	for _, pt := range parts {
		keys = append(keys, strconv.FormatInt(r.conn.HubID, 10)+"\x00"+pt.key.ext+"\x00"+pt.key.email)
	}
	unlock, err := r.p.participants.lock(r.ctx, keys)
	if err != nil {
		r.failAll(orders, failureOf(err, ""))
		return
	}
	defer unlock()
	if err := r.loadParticipants(byKey, orderIDs); err != nil {
		r.failAll(orders, failureOf(err, ""))
		return
	}
	var emails []string
	for _, pt := range parts {
		pt.plan()
		if len(pt.sends) == 0 {
			continue
		}
		// The contact this run wrote is the freshest id there is.
		if ob := r.byKey[string(hubspot.Contacts)+"\x00email\x00"+pt.key.email]; ob != nil && ob.written && ob.recordID != "" {
			pt.contact = ob.recordID
		}
		if pt.contact == "" {
			emails = append(emails, pt.key.email)
		}
	}
	known := r.knownContacts(emails)
	for _, pt := range parts {
		if pt.contact == "" {
			pt.contact = known[pt.key.email]
		}
	}
	for _, state := range []string{hubspot.AttendanceRegister, hubspot.AttendanceAttend, hubspot.AttendanceCancel} {
		var step []*participant
		for _, pt := range parts {
			if !pt.failed && pt.next() == state {
				step = append(step, pt)
			}
		}
		r.sendAttendance(state, step)
	}
	r.storeParticipation(parts)
	r.participationResults(parts)
}

// plan decides the contact's state from its tickets and what HubSpot holds,
// and the state changes that get it there.
func (pt *participant) plan() {
	for _, t := range pt.tickets {
		a := t.a
		if rank[a.state] > rank[pt.want] {
			pt.want, pt.at, pt.joined = a.state, a.at, a.joined
		} else if a.state == pt.want && a.joined != nil && (pt.joined == nil || a.joined.Before(*pt.joined)) {
			pt.at, pt.joined = a.at, a.joined
		}
	}
	from := ""
	if pt.current != nil {
		from = pt.current.State
		pt.contact = pt.current.ContactID
	}
	pt.held = from
	switch pt.want {
	case models.ParticipationRegistered:
		if from == "" || from == models.ParticipationCancelled {
			pt.sends = []string{hubspot.AttendanceRegister}
		}
	case models.ParticipationAttended:
		if from == "" || from == models.ParticipationCancelled {
			pt.sends = append(pt.sends, hubspot.AttendanceRegister)
		}
		if from != models.ParticipationAttended {
			pt.sends = append(pt.sends, hubspot.AttendanceAttend)
		}
	case models.ParticipationCancelled:
		if from == models.ParticipationRegistered || from == models.ParticipationAttended {
			pt.sends = []string{hubspot.AttendanceCancel}
		}
	}
}

// next is the participant's next change to send, "" when none is left.
func (pt *participant) next() string {
	if len(pt.sends) == 0 {
		return ""
	}
	return pt.sends[0]
}

func (r *run) failAll(orders []*orderState, f *failure) {
	for _, o := range orders {
		o.failWith(f)
	}
}

// loadParticipants reads what HubSpot holds for the batch's contacts and
// what their tickets outside the batch want (another order of the same
// person keeps them registered).
func (r *run) loadParticipants(byKey map[contactKey]*participant, orderIDs []int64) error {
	byExt := map[string][]string{}
	for k := range byKey {
		byExt[k.ext] = append(byExt[k.ext], k.email)
	}
	inBatch := make(map[int64]bool, len(orderIDs))
	for _, id := range orderIDs {
		inBatch[id] = true
	}
	db := r.p.db.WithContext(r.ctx)
	for ext, emails := range byExt {
		for start := 0; start < len(emails); start += 500 {
			chunk := emails[start:min(start+500, len(emails))]
			var cur []models.MarketingContact
			if err := db.Where("hub_id = ? AND external_event_id = ? AND email IN ?", r.conn.HubID, ext, chunk).Find(&cur).Error; err != nil {
				return err
			}
			for i := range cur {
				byKey[contactKey{ext, cur[i].Email}].current = &cur[i]
			}
			var others []models.MarketingParticipation
			if err := db.Where("hub_id = ? AND external_event_id = ? AND email IN ?", r.conn.HubID, ext, chunk).Find(&others).Error; err != nil {
				return err
			}
			for _, row := range others {
				if inBatch[row.OrderID] {
					continue // the batch's own tickets say what they want now
				}
				pt := byKey[contactKey{ext, row.Email}]
				if rank[row.State] > rank[pt.want] {
					pt.want = row.State
				}
			}
		}
	}
	return nil
}

// ensureMarketingEvents makes sure HubSpot holds the marketing events of
// the given dates as pretix describes them now, in one call for those that
// are new or changed.
func (r *run) ensureMarketingEvents(subevents map[int64]bool) (map[int64]*models.MarketingEventRecord, error) {
	var rows []models.MarketingEventRecord
	if err := r.p.db.WithContext(r.ctx).Where("event_id = ? AND hub_id = ?", r.eventID, r.conn.HubID).Find(&rows).Error; err != nil {
		return nil, err
	}
	have := map[int64]*models.MarketingEventRecord{}
	for i := range rows {
		have[rows[i].SubeventID] = &rows[i]
	}
	out := map[int64]*models.MarketingEventRecord{}
	var stale []hubspot.MarketingEvent
	var staleSub []int64
	for se := range subevents {
		me, ok := r.mk.event(se)
		if !ok {
			continue
		}
		rec := have[se]
		if rec != nil && rec.ExternalAccountID != "" {
			me.ExternalAccountID = rec.ExternalAccountID
		}
		if rec != nil && rec.Digest == digestOf(me) && rec.ObjectID != "" {
			out[se] = rec
			continue
		}
		stale = append(stale, me)
		staleSub = append(staleSub, se)
	}
	now := r.p.clock.Now().UTC()
	for start := 0; start < len(stale); start += hubspot.MaxMarketingEventInputs {
		chunk := stale[start:min(start+hubspot.MaxMarketingEventInputs, len(stale))]
		ids, err := r.cl.UpsertMarketingEvents(r.ctx, chunk)
		if err != nil {
			return nil, err
		}
		for i, me := range chunk {
			se := staleSub[start+i]
			rec := &models.MarketingEventRecord{EventID: r.eventID, SubeventID: se, HubID: r.conn.HubID,
				ExternalAccountID: me.ExternalAccountID, ExternalEventID: me.ExternalEventID,
				ObjectID: ids[me.ExternalEventID], Digest: digestOf(me), Name: me.Name, Cancelled: me.Cancelled, SentAt: now}
			if err := r.p.db.WithContext(r.ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "event_id"}, {Name: "subevent_id"}, {Name: "hub_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"external_account_id", "external_event_id", "object_id", "digest", "name", "cancelled", "sent_at"}),
			}).Create(rec).Error; err != nil {
				return nil, err
			}
			out[se] = rec
		}
	}
	return out, nil
}

// knownContacts finds the HubSpot contact ids of emails this run wrote or
// an earlier sync of the event recorded.
func (r *run) knownContacts(emails []string) map[string]string {
	out := map[string]string{}
	var ask []string
	for _, e := range emails {
		if _, done := out[e]; done {
			continue
		}
		if ob := r.byKey[string(hubspot.Contacts)+"\x00email\x00"+e]; ob != nil && ob.written && ob.recordID != "" {
			out[e] = ob.recordID
			continue
		}
		out[e] = ""
		ask = append(ask, e)
	}
	for start := 0; start < len(ask); start += 500 {
		var rows []models.SyncResult
		if err := r.p.db.WithContext(r.ctx).Select("id_value", "external_id").
			Where("event_id = ? AND provider = ? AND object_type = ? AND id_property = 'email' AND id_value IN ? AND external_id <> ''",
				r.eventID, ProviderName, string(hubspot.Contacts), ask[start:min(start+500, len(ask))]).
			Find(&rows).Error; err != nil {
			// Not fatal: HubSpot finds the contacts by email instead.
			r.p.log.Warn("look up known contacts", "event", r.eventID, "err", err)
			break
		}
		for _, sr := range rows {
			out[sr.IDValue] = sr.ExternalID
		}
	}
	return out
}

var heldAfter = map[string]string{hubspot.AttendanceRegister: models.ParticipationRegistered,
	hubspot.AttendanceAttend: models.ParticipationAttended, hubspot.AttendanceCancel: models.ParticipationCancelled}

type attendanceCall struct {
	rec     *models.MarketingEventRecord
	byEmail bool
	parts   []*participant
}

// sendAttendance sends one state change of many contacts, grouped per
// marketing event and addressing, in concurrent calls.
func (r *run) sendAttendance(state string, step []*participant) {
	groups := map[string]*attendanceCall{}
	var calls []*attendanceCall
	for _, pt := range step {
		byEmail := pt.contact == ""
		k := pt.rec.ExternalEventID
		if byEmail {
			k += "\x00email"
		}
		g := groups[k]
		if g == nil || len(g.parts) == hubspot.MaxMarketingEventInputs {
			g = &attendanceCall{rec: pt.rec, byEmail: byEmail}
			groups[k] = g
			calls = append(calls, g)
		}
		g.parts = append(g.parts, pt)
	}
	var wg sync.WaitGroup
	results := make([]*hubspot.AttendanceResult, len(calls))
	errs := make([]error, len(calls))
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]hubspot.Attendee, len(c.parts))
			for j, pt := range c.parts {
				in[j] = hubspot.Attendee{ContactID: pt.contact, Email: pt.key.email, At: pt.at}
				if state == hubspot.AttendanceAttend {
					in[j].JoinedAt = pt.joined
				}
			}
			results[i], errs[i] = r.cl.RecordAttendance(r.ctx, c.rec.ExternalAccountID, c.rec.ExternalEventID, state, c.byEmail, in)
		}()
	}
	wg.Wait()
	var byEmail []*participant
	for i, c := range calls {
		for j, pt := range c.parts {
			err := errs[i]
			if err == nil {
				if e := results[i].Errors[j]; e != nil {
					err = e
					// The contact we knew is gone (deleted, or merged into
					// another): HubSpot finds the person by email instead.
					if !c.byEmail && e.Category == "OBJECT_NOT_FOUND" {
						pt.contact = ""
						byEmail = append(byEmail, pt)
						continue
					}
				}
			}
			if err != nil {
				pt.failed = true
				f := failureOf(err, "")
				f.msg = "Marketing event " + c.rec.Name + ": " + f.msg
				for _, t := range pt.tickets {
					t.o.failWith(f)
				}
				continue
			}
			if id := results[i].ContactIDs[j]; id != "" {
				pt.contact = id
			}
			pt.held = heldAfter[state]
			pt.sends = pt.sends[1:]
		}
	}
	if len(byEmail) > 0 {
		r.sendAttendance(state, byEmail)
	}
}

// storeParticipation records what HubSpot now holds per contact and what
// each ticket wanted, for the participants whose changes all went through.
func (r *run) storeParticipation(parts []*participant) {
	now := r.p.clock.Now().UTC()
	var contacts []models.MarketingContact
	var tickets []models.MarketingParticipation
	for _, pt := range parts {
		if pt.failed || len(pt.sends) > 0 {
			continue
		}
		pt.sent = true
		state := pt.held
		if state != "" && (pt.current == nil || pt.current.State != state || pt.current.ContactID != pt.contact) {
			c := models.MarketingContact{EventID: r.eventID, HubID: r.conn.HubID, ExternalEventID: pt.key.ext, Email: pt.key.email,
				ContactID: pt.contact, State: state, SentAt: now}
			if state == models.ParticipationAttended {
				c.JoinedAt = pt.joined
				if pt.current != nil && pt.current.JoinedAt != nil {
					c.JoinedAt = pt.current.JoinedAt
				}
			}
			contacts = append(contacts, c)
		}
		for _, t := range pt.tickets {
			tickets = append(tickets, models.MarketingParticipation{OrderID: t.o.job.OrderID, PositionID: t.a.posID, EventID: r.eventID,
				ExternalEventID: pt.key.ext, HubID: r.conn.HubID, Email: pt.key.email, State: t.a.state, SentAt: now})
		}
	}
	db := r.p.db.WithContext(r.ctx)
	err := db.Transaction(func(tx *gorm.DB) error {
		if len(contacts) > 0 {
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "hub_id"}, {Name: "external_event_id"}, {Name: "email"}},
				DoUpdates: clause.AssignmentColumns([]string{"contact_id", "state", "joined_at", "sent_at"}),
			}).CreateInBatches(contacts, 200).Error; err != nil {
				return err
			}
		}
		if len(tickets) > 0 {
			return tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "order_id"}, {Name: "position_id"}, {Name: "hub_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"external_event_id", "email", "state", "sent_at"}),
			}).CreateInBatches(tickets, 200).Error
		}
		return nil
	})
	if err != nil {
		// HubSpot has them; sending them again on the retry is harmless.
		r.p.log.Error("store marketing event participation", "event", r.eventID, "err", err)
		f := &failure{mode: modeTemporary, msg: "The marketing event participation could not be stored locally. The sync is retried automatically."}
		for _, pt := range parts {
			if pt.sent {
				pt.sent = false
				for _, t := range pt.tickets {
					t.o.failWith(f)
				}
			}
		}
	}
}

// participationResults adds one order-box line per ticket: the
// participation HubSpot holds for its contact and whether this run changed
// it.
func (r *run) participationResults(parts []*participant) {
	now := r.p.clock.Now().UTC()
	for _, pt := range parts {
		if !pt.sent {
			continue
		}
		state, action := pt.held, actionNothing
		switch {
		case pt.current == nil && state != "":
			action = actionCreated
		case pt.current != nil && pt.current.State != state:
			action = actionUpdated
		}
		if state == "" {
			continue
		}
		for _, t := range pt.tickets {
			pos := t.a.posID
			t.o.mres = append(t.o.mres, models.SyncResult{Provider: ProviderName, PositionID: &pos, ObjectType: objectMarketingEvents,
				IDProperty: "participation", IDValue: state, ExternalID: pt.rec.ObjectID, ExternalLink: r.conn.MarketingEventURL(pt.rec.ObjectID),
				Action: action, TransmittedAt: now})
		}
	}
}
