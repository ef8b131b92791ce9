package hubspotsync

import (
	"sync"

	"gorm.io/gorm/clause"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// objectMarketingEvents is the object type of participation results in the
// order box ("marketing_events", HubSpot's object 0-54).
const objectMarketingEvents = "marketing_events"

// send is one participation state change of one attendee.
type send struct {
	o       *orderState
	a       *attendance
	state   string // hubspot.Attendance*
	contact string // HubSpot contact id when known, else the email is used
	rec     *models.MarketingEventRecord
	failed  bool
}

type partKey struct{ order, pos int64 }

// participate sends what changed in the batch's attendance (after the CRM
// records are written, so attendees' contacts are known by id): first the
// marketing events themselves where new or changed, then registrations,
// attendances and cancellations, each batched across orders per event.
// Every change is stored once HubSpot confirms it, so it is sent once.
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
	prev, err := r.storedParticipation(orderIDs)
	if err != nil {
		r.failAll(orders, failureOf(err, ""))
		return
	}
	recs, err := r.ensureMarketingEvents(subevents)
	if err != nil {
		f := failureOf(err, "")
		f.msg = "Marketing events: " + f.msg
		r.failAll(orders, f)
		return
	}
	var steps [3][]*send
	var emails []string
	for _, o := range orders {
		for i := range o.attend {
			a := &o.attend[i]
			rec := recs[a.subevent]
			if rec == nil {
				o.failWith(&failure{mode: models.FailureConfig, msg: "The event date of this ticket is not in the stored catalogue. Refresh the event from pretix; the sync is retried then."})
				break
			}
			p := prev[partKey{o.job.OrderID, a.posID}]
			from := ""
			if p != nil {
				from = p.State
			}
			add := func(step int, state string) {
				s := &send{o: o, a: a, state: state, rec: rec}
				if p != nil && p.Email == a.email {
					s.contact = p.ContactID
				}
				steps[step] = append(steps[step], s)
				emails = append(emails, a.email)
			}
			switch a.state {
			case models.ParticipationRegistered:
				if from == "" || from == models.ParticipationCancelled {
					add(0, hubspot.AttendanceRegister)
				}
			case models.ParticipationAttended:
				if from == "" || from == models.ParticipationCancelled {
					add(0, hubspot.AttendanceRegister)
				}
				if from != models.ParticipationAttended {
					add(1, hubspot.AttendanceAttend)
				}
			case models.ParticipationCancelled:
				if from == models.ParticipationRegistered || from == models.ParticipationAttended {
					add(2, hubspot.AttendanceCancel)
				}
			}
		}
	}
	known := r.knownContacts(emails)
	for _, step := range steps {
		for _, s := range step {
			if s.contact == "" {
				s.contact = known[s.a.email]
			}
		}
	}
	sent := map[partKey]string{}
	for i, step := range steps {
		live := step[:0]
		for _, s := range step {
			// An attendance whose registration failed waits for the retry.
			if !s.failed && s.o.fail == nil && (i == 0 || !failedBefore(steps[0], s)) {
				live = append(live, s)
			}
		}
		r.sendAttendance(live, sent)
	}
	r.participationResults(orders, prev, recs, sent)
}

func failedBefore(earlier []*send, s *send) bool {
	for _, e := range earlier {
		if e.a == s.a && e.failed {
			return true
		}
	}
	return false
}

func (r *run) failAll(orders []*orderState, f *failure) {
	for _, o := range orders {
		o.failWith(f)
	}
}

// storedParticipation loads what was last sent for the batch's orders.
func (r *run) storedParticipation(orderIDs []int64) (map[partKey]*models.MarketingParticipation, error) {
	out := map[partKey]*models.MarketingParticipation{}
	for start := 0; start < len(orderIDs); start += 500 {
		var rows []models.MarketingParticipation
		if err := r.p.db.WithContext(r.ctx).Where("hub_id = ? AND order_id IN ?", r.conn.HubID, orderIDs[start:min(start+500, len(orderIDs))]).
			Find(&rows).Error; err != nil {
			return nil, err
		}
		for i := range rows {
			out[partKey{rows[i].OrderID, rows[i].PositionID}] = &rows[i]
		}
	}
	return out, nil
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
			rec := &models.MarketingEventRecord{EventID: r.eventID, SubeventID: se, HubID: r.conn.HubID, ExternalEventID: me.ExternalEventID,
				ObjectID: ids[me.ExternalEventID], Digest: digestOf(me), Name: me.Name, Cancelled: me.Cancelled, SentAt: now}
			if err := r.p.db.WithContext(r.ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "event_id"}, {Name: "subevent_id"}, {Name: "hub_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"external_event_id", "object_id", "digest", "name", "cancelled", "sent_at"}),
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

type attendanceCall struct {
	rec     *models.MarketingEventRecord
	state   string
	byEmail bool
	sends   []*send
}

// sendAttendance sends one step's changes, grouped per marketing event and
// addressing, concurrently; HubSpot's confirmations are stored at once.
func (r *run) sendAttendance(step []*send, sent map[partKey]string) {
	groups := map[string]*attendanceCall{}
	var calls []*attendanceCall
	for _, s := range step {
		byEmail := s.contact == ""
		k := s.rec.ExternalEventID + "\x00" + s.state
		if byEmail {
			k += "\x00email"
		}
		g := groups[k]
		if g == nil || len(g.sends) == hubspot.MaxMarketingEventInputs {
			g = &attendanceCall{rec: s.rec, state: s.state, byEmail: byEmail}
			groups[k] = g
			calls = append(calls, g)
		}
		g.sends = append(g.sends, s)
	}
	var wg sync.WaitGroup
	results := make([]*hubspot.AttendanceResult, len(calls))
	errs := make([]error, len(calls))
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]hubspot.Attendee, len(c.sends))
			for j, s := range c.sends {
				in[j] = hubspot.Attendee{ContactID: s.contact, Email: s.a.email, At: s.a.at}
				if c.state == hubspot.AttendanceAttend {
					in[j].JoinedAt = s.a.joined
				}
			}
			results[i], errs[i] = r.cl.RecordAttendance(r.ctx, r.mk.account, c.rec.ExternalEventID, c.state, c.byEmail, in)
		}()
	}
	wg.Wait()
	now := r.p.clock.Now().UTC()
	var rows []models.MarketingParticipation
	for i, c := range calls {
		for j, s := range c.sends {
			var err error
			if errs[i] != nil {
				err = errs[i]
			} else if e := results[i].Errors[j]; e != nil {
				err = e
			}
			if err != nil {
				s.failed = true
				f := failureOf(err, "")
				f.msg = "Marketing event " + c.rec.Name + ": " + f.msg
				s.o.failWith(f)
				continue
			}
			contact := s.contact
			if id := results[i].ContactIDs[j]; id != "" {
				contact = id
			}
			state := map[string]string{hubspot.AttendanceRegister: models.ParticipationRegistered,
				hubspot.AttendanceAttend: models.ParticipationAttended, hubspot.AttendanceCancel: models.ParticipationCancelled}[c.state]
			row := models.MarketingParticipation{OrderID: s.o.job.OrderID, PositionID: s.a.posID, EventID: r.eventID,
				ExternalEventID: c.rec.ExternalEventID, HubID: r.conn.HubID, ContactID: contact, Email: s.a.email, State: state, SentAt: now}
			if state == models.ParticipationAttended {
				row.JoinedAt = s.a.joined
			}
			rows = append(rows, row)
			sent[partKey{s.o.job.OrderID, s.a.posID}] = state
		}
	}
	if len(rows) == 0 {
		return
	}
	if err := r.p.db.WithContext(r.ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "order_id"}, {Name: "position_id"}, {Name: "hub_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"external_event_id", "contact_id", "email", "state", "joined_at", "sent_at"}),
	}).CreateInBatches(rows, 200).Error; err != nil {
		// HubSpot has them; sending them again on the retry is harmless.
		r.p.log.Error("store marketing event participation", "event", r.eventID, "err", err)
		for _, row := range rows {
			for _, o := range r.orders {
				if o.job.OrderID == row.OrderID {
					o.failWith(&failure{mode: modeTemporary, msg: "The marketing event participation could not be stored locally. The sync is retried automatically."})
				}
			}
		}
	}
}

// participationResults adds one order-box line per attendee: the
// participation HubSpot now holds and whether this run changed it.
func (r *run) participationResults(orders []*orderState, prev map[partKey]*models.MarketingParticipation,
	recs map[int64]*models.MarketingEventRecord, sent map[partKey]string) {
	now := r.p.clock.Now().UTC()
	for _, o := range orders {
		for i := range o.attend {
			a := &o.attend[i]
			k := partKey{o.job.OrderID, a.posID}
			state, action := sent[k], actionUpdated
			if state == "" {
				action = actionNothing
				if p := prev[k]; p != nil {
					state = p.State
				}
			}
			rec := recs[a.subevent]
			if state == "" || rec == nil {
				continue
			}
			if prev[k] == nil {
				action = actionCreated
			}
			pos := a.posID
			o.mres = append(o.mres, models.SyncResult{Provider: ProviderName, PositionID: &pos, ObjectType: objectMarketingEvents,
				IDProperty: "participation", IDValue: state, ExternalID: rec.ObjectID, ExternalLink: r.conn.MarketingEventURL(rec.ObjectID),
				Action: action, TransmittedAt: now})
		}
	}
}
