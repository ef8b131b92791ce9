package pretixfake

import (
	"slices"
	"time"
)

// AddEvent creates an event with its settings. Empty fields get pretix's
// defaults (currency EUR, time zone UTC, name scheme "full", locales from
// the name's keys).
func (s *Server) AddEvent(org string, ev Event, settings EventSettings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[org]
	if o == nil {
		return errUnknown("organizer", org)
	}
	if ev.Currency == "" {
		ev.Currency = "EUR"
	}
	if ev.Timezone == "" {
		ev.Timezone = "UTC"
	}
	if ev.Name == nil {
		ev.Name = LocalizedString{"en": ev.Slug}
	}
	if ev.MetaData == nil {
		ev.MetaData = map[string]string{}
	}
	if ev.ItemMetaProperties == nil {
		ev.ItemMetaProperties = map[string]string{}
	}
	if ev.SeatCategoryMap == nil {
		ev.SeatCategoryMap = map[string]int64{}
	}
	if ev.Plugins == nil {
		ev.Plugins = []string{"pretix.plugins.banktransfer", "pretix.plugins.stripe", "pretix.plugins.ticketoutputpdf"}
	}
	if ev.SalesChannels == nil {
		ev.SalesChannels = []string{"web"}
	}
	ev.PublicURL = s.opts.PublicURL + "/" + org + "/" + ev.Slug + "/"
	if settings.NameScheme == "" {
		settings.NameScheme = "full"
	}
	if settings.Timezone == "" {
		settings.Timezone = ev.Timezone
	}
	if len(settings.Locales) == 0 {
		for k := range ev.Name {
			settings.Locales = append(settings.Locales, k)
		}
		slices.Sort(settings.Locales)
	}
	if settings.Locale == "" {
		settings.Locale = settings.Locales[0]
	}
	if _, exists := o.events[ev.Slug]; !exists {
		o.eventOrder = append(o.eventOrder, ev.Slug)
	}
	o.events[ev.Slug] = &event{Event: ev, settings: settings, orders: map[string]*storedOrder{}}
	return nil
}

func (s *Server) eventFor(org, ev string) (*organizer, *event, error) {
	o := s.orgs[org]
	if o == nil {
		return nil, nil, errUnknown("organizer", org)
	}
	e := o.events[ev]
	if e == nil {
		return nil, nil, errUnknown("event", ev)
	}
	return o, e, nil
}

// SetEventSettings replaces an event's settings.
func (s *Server) SetEventSettings(org, ev string, settings EventSettings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return err
	}
	e.settings = settings
	return nil
}

// AddCategory adds a product category and returns it with its id.
func (s *Server) AddCategory(org, ev string, c Category) (Category, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return c, err
	}
	c.ID = s.newID()
	if c.Description == nil {
		c.Description = LocalizedString{}
	}
	e.categories = append(e.categories, c)
	return c, nil
}

// AddItem adds a product (with its variations) and returns it with ids.
func (s *Server) AddItem(org, ev string, it Item) (Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return it, err
	}
	it.ID = s.newID()
	it.HasVariations = len(it.Variations) > 0
	for i := range it.Variations {
		it.Variations[i].ID = s.newID()
		if it.Variations[i].Description == nil {
			it.Variations[i].Description = LocalizedString{}
		}
	}
	if it.Variations == nil {
		it.Variations = []Variation{}
	}
	if it.Addons == nil {
		it.Addons = []ItemAddon{}
	}
	if it.Description == nil {
		it.Description = LocalizedString{}
	}
	if it.MetaData == nil {
		it.MetaData = map[string]string{}
	}
	if it.SalesChannels == nil {
		it.SalesChannels = []string{"web"}
	}
	e.items = append(e.items, it)
	return it, nil
}

// AddQuestion adds a question (with its options) and returns it with ids.
func (s *Server) AddQuestion(org, ev string, q Question) (Question, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return q, err
	}
	q.ID = s.newID()
	for i := range q.Options {
		q.Options[i].ID = s.newID()
		if q.Options[i].Position == 0 {
			q.Options[i].Position = i
		}
	}
	if q.Options == nil {
		q.Options = []QuestionOption{}
	}
	if q.Items == nil {
		q.Items = []int64{}
	}
	if q.HelpText == nil {
		q.HelpText = LocalizedString{}
	}
	if q.DependencyValues == nil {
		q.DependencyValues = []string{}
	}
	e.questions = append(e.questions, q)
	return q, nil
}

// AddCheckinList adds a check-in list and returns it with its id.
func (s *Server) AddCheckinList(org, ev string, l CheckinList) (CheckinList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return l, err
	}
	l.ID = s.newID()
	if l.Limit == nil {
		l.Limit = []int64{}
	}
	e.checkinLists = append(e.checkinLists, l)
	return l, nil
}

// AddSubEvent adds a date to an event series and returns it with its id.
func (s *Server) AddSubEvent(org, ev string, se SubEvent) (SubEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return se, err
	}
	se.ID = s.newID()
	se.Event = ev
	se.LastModified = Time(s.clock.Now().UTC())
	if se.MetaData == nil {
		se.MetaData = map[string]string{}
	}
	e.subevents = append(e.subevents, se)
	return se, nil
}

// EventSpec describes an event for SeedEvent.
type EventSpec struct {
	Name         LocalizedString // default {"en": slug}
	Locales      []string        // default the keys of Name
	NameScheme   string          // default "given_family"
	Currency     string          // default "EUR"
	Timezone     string          // default "Europe/Berlin"
	DateFrom     time.Time       // default 60 days after the clock's now
	HasSubevents bool
	Testmode     bool
}

// SeedEvent creates an event with a realistic catalogue: admission tickets
// with variations, a free pass, a workshop add-on category, merchandise,
// questions of every pretix type (choice, multiple choice, file, country,
// date, time, date+time, phone, …) and two check-in lists; series get three
// dates.
func (s *Server) SeedEvent(org, slug string, spec EventSpec) error {
	if spec.Name == nil {
		spec.Name = LocalizedString{"en": slug}
	}
	if spec.NameScheme == "" {
		spec.NameScheme = "given_family"
	}
	if spec.Timezone == "" {
		spec.Timezone = "Europe/Berlin"
	}
	if spec.DateFrom.IsZero() {
		spec.DateFrom = s.clock.Now().UTC().Add(60 * 24 * time.Hour).Truncate(time.Hour)
	}
	loc, err := time.LoadLocation(spec.Timezone)
	if err != nil {
		loc = time.UTC
	}
	from := spec.DateFrom.In(loc)
	to := from.Add(2*24*time.Hour + 8*time.Hour)
	ev := Event{
		Name: spec.Name, Slug: slug, Live: true, Testmode: spec.Testmode, Currency: spec.Currency,
		DateFrom: TP(from), DateTo: TP(to), IsPublic: true, HasSubevents: spec.HasSubevents,
		Location: LocalizedString{"en": "Congress Center, Hall 3"}, Timezone: spec.Timezone,
		PresaleStart: TP(from.Add(-120 * 24 * time.Hour)),
	}
	if spec.HasSubevents {
		ev.DateTo = nil
	}
	if err := s.AddEvent(org, ev, EventSettings{Locales: spec.Locales, NameScheme: spec.NameScheme, Timezone: spec.Timezone}); err != nil {
		return err
	}
	ml := func(en, de string) LocalizedString {
		if de == "" {
			return LocalizedString{"en": en}
		}
		return LocalizedString{"en": en, "de": de}
	}
	tickets, _ := s.AddCategory(org, slug, Category{Name: ml("Tickets", "Tickets"), Position: 0})
	workshops, _ := s.AddCategory(org, slug, Category{Name: ml("Workshops", "Workshops"), Position: 1, IsAddon: true})
	merch, _ := s.AddCategory(org, slug, Category{Name: ml("Merchandise", "Fanartikel"), Position: 2})
	ticket, _ := s.AddItem(org, slug, Item{
		Name: ml("Conference ticket", "Konferenzticket"), Category: Int(tickets.ID), Active: true,
		DefaultPrice: "250.00", Admission: true, Personalized: true, Position: 0,
		Variations: []Variation{
			{Value: ml("Regular", "Regulär"), Active: true, Position: 0, Price: "250.00"},
			{Value: ml("Student", "Studierende"), Active: true, Position: 1, Price: "120.00"},
		},
		Addons: []ItemAddon{{AddonCategory: workshops.ID, MinCount: 0, MaxCount: 2, Position: 0}},
	})
	free, _ := s.AddItem(org, slug, Item{
		Name: ml("Community pass", "Community-Pass"), Category: Int(tickets.ID), Active: true,
		DefaultPrice: "0.00", Admission: true, Personalized: true, Position: 1,
	})
	workshop, _ := s.AddItem(org, slug, Item{
		Name: ml("Workshop: Profiling Go services", "Workshop: Go-Dienste profilieren"), Category: Int(workshops.ID),
		Active: true, DefaultPrice: "49.00", Position: 2,
	})
	_, _ = s.AddItem(org, slug, Item{
		Name: ml("T-shirt", "T-Shirt"), Category: Int(merch.ID), Active: true, DefaultPrice: "20.00", Position: 3,
		Variations: []Variation{
			{Value: ml("S", ""), Active: true, Price: "20.00"}, {Value: ml("M", ""), Active: true, Price: "20.00"},
			{Value: ml("L", ""), Active: true, Price: "20.00"}, {Value: ml("XL", ""), Active: true, Price: "20.00"},
		},
	})
	admission := []int64{ticket.ID, free.ID}
	opt := func(id, en, de string) QuestionOption {
		return QuestionOption{Identifier: id, Answer: ml(en, de)}
	}
	questions := []Question{
		{Identifier: "TSHIRT", Type: QChoice, Question: ml("T-shirt size", "T-Shirt-Größe"), Items: admission,
			Options: []QuestionOption{opt("SIZE-S", "S", "S"), opt("SIZE-M", "M", "M"), opt("SIZE-L", "L", "L"), opt("SIZE-XL", "XL", "XL")}},
		{Identifier: "DIET", Type: QMultipleChoice, Question: ml("Dietary requirements", "Ernährung"), Items: admission,
			Options: []QuestionOption{opt("VEG", "Vegetarian", "Vegetarisch"), opt("VEGAN", "Vegan", "Vegan"), opt("GF", "Gluten-free", "Glutenfrei"), opt("HALAL", "Halal", "Halal")}},
		{Identifier: "NEWSLETTER", Type: QBoolean, Question: ml("Subscribe to our newsletter?", "Newsletter abonnieren?"), Items: admission},
		{Identifier: "JOBTITLE", Type: QString, Question: ml("Job title", "Berufsbezeichnung"), Items: admission},
		{Identifier: "BIO", Type: QText, Question: ml("Short bio", "Kurzbiografie"), Items: admission},
		{Identifier: "YEARS", Type: QNumber, Question: ml("Years of experience", "Jahre Erfahrung"), Items: admission},
		{Identifier: "ARRIVAL", Type: QDate, Question: ml("Arrival date", "Anreisedatum"), Items: admission},
		{Identifier: "SLOT", Type: QTime, Question: ml("Preferred pickup time", "Gewünschte Abholzeit"), Items: admission},
		{Identifier: "FLIGHT", Type: QDateTime, Question: ml("Flight arrival", "Ankunft des Flugs"), Items: admission},
		{Identifier: "CV", Type: QFile, Question: ml("Upload your CV", "Lebenslauf hochladen"), Items: admission},
		{Identifier: "COUNTRY", Type: QCountry, Question: ml("Country of residence", "Wohnsitzland"), Items: admission},
		{Identifier: "MOBILE", Type: QPhone, Question: ml("Mobile phone", "Mobiltelefon"), Items: admission},
		{Identifier: "BADGE", Type: QBoolean, Question: ml("Badge handed out", "Badge ausgegeben"), Items: admission, AskDuringCheckin: true, Hidden: true},
	}
	for i, q := range questions {
		q.Position = i
		if _, err := s.AddQuestion(org, slug, q); err != nil {
			return err
		}
	}
	if _, err := s.AddCheckinList(org, slug, CheckinList{Name: "Main entrance", AllProducts: true}); err != nil {
		return err
	}
	if _, err := s.AddCheckinList(org, slug, CheckinList{Name: "Workshop rooms", Limit: []int64{workshop.ID}}); err != nil {
		return err
	}
	if spec.HasSubevents {
		for i := 0; i < 3; i++ {
			d := from.Add(time.Duration(i*7*24) * time.Hour)
			if _, err := s.AddSubEvent(org, slug, SubEvent{
				Name: LocalizedString{"en": spec.Name["en"] + " – " + d.Format("2 Jan")}, Active: true, IsPublic: true,
				DateFrom: TP(d), DateTo: TP(d.Add(4 * time.Hour)), Location: LocalizedString{"en": "Open-air stage"},
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
