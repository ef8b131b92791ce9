package pretixfake

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// NameSchemeParts lists the name parts of pretix's name schemes, in order.
var NameSchemeParts = map[string][]string{
	"given_family":                  {"given_name", "family_name"},
	"title_given_family":            {"title", "given_name", "family_name"},
	"given_middle_family":           {"given_name", "middle_name", "family_name"},
	"title_given_middle_family":     {"title", "given_name", "middle_name", "family_name"},
	"family_given":                  {"family_name", "given_name"},
	"family_nospace_given":          {"family_name", "given_name"},
	"family_comma_given":            {"family_name", "given_name"},
	"full":                          {"full_name"},
	"calling_full":                  {"calling_name", "full_name"},
	"full_transcription":            {"full_name", "latin_transcription"},
	"salutation_given_family":       {"salutation", "given_name", "family_name"},
	"salutation_title_given_family": {"salutation", "title", "given_name", "family_name"},
}

type person struct {
	given, middle, family string
	asciiGiven, asciiFam  string
	cjk                   bool
}

var people = []person{
	{"Ada", "", "Lovelace", "ada", "lovelace", false},
	{"Zoë", "", "Müller", "zoe", "mueller", false},
	{"José", "Luis", "Núñez", "jose", "nunez", false},
	{"Søren", "", "Kierkegaard", "soren", "kierkegaard", false},
	{"François", "", "Dupont", "francois", "dupont", false},
	{"Łukasz", "", "Żółć", "lukasz", "zolc", false},
	{"Aoife", "", "Ní Bhriain", "aoife", "nibhriain", false},
	{"Иван", "", "Петров", "ivan", "petrov", false},
	{"Oğuz", "", "Yılmaz", "oguz", "yilmaz", false},
	{"Kwame", "Kofi", "Mensah", "kwame", "mensah", false},
	{"Priya", "", "Sharma", "priya", "sharma", false},
	{"Björn", "", "Ångström", "bjorn", "angstrom", false},
	{"Chloé", "", "Lefèvre", "chloe", "lefevre", false},
	{"Mateo", "", "García", "mateo", "garcia", false},
	{"Siobhán", "", "O'Brien", "siobhan", "obrien", false},
	{"Jan", "Pieter", "van der Berg", "jan", "vanderberg", false},
	{"Nadja", "", "Schäfer", "nadja", "schaefer", false},
	{"Grace", "Brewster", "Hopper", "grace", "hopper", false},
	{"小龍", "", "李", "xiaolong", "li", true},
	{"太郎", "", "田中", "taro", "tanaka", true},
	{"美咲", "", "佐藤", "misaki", "sato", true},
	{"민준", "", "김", "minjun", "kim", true},
}

var (
	titles      = []string{"Dr.", "Prof.", "Prof. Dr.", ""}
	salutations = []string{"Mr", "Ms", "Mx", ""}
	domains     = []string{"example.com", "example.org", "mail.example", "Example.NET", "müller-bau.example", "bücher.example", "例え.テスト", "straße.example"}
	countries   = []string{"DE", "AT", "CH", "FR", "NL", "GB", "US", "DK", "PL", "IE", "JP", "KR", "BR", "IN", "GH"}
	cities      = map[string][2]string{
		"DE": {"10115", "Berlin"}, "AT": {"1010", "Wien"}, "CH": {"8001", "Zürich"}, "FR": {"75001", "Paris"},
		"NL": {"1012 AB", "Amsterdam"}, "GB": {"SW1Y 4JH", "London"}, "US": {"94103", "San Francisco"},
		"DK": {"1050", "København"}, "PL": {"00-001", "Warszawa"}, "IE": {"D02 X285", "Dublin"}, "JP": {"100-0001", "東京"},
		"KR": {"04524", "서울"}, "BR": {"01000-000", "São Paulo"}, "IN": {"110001", "New Delhi"}, "GH": {"00233", "Accra"},
	}
	companies = []string{"Analytical Engines Ltd", "Müller & Söhne GmbH", "Nordlicht AG", "Café Olé SARL", "株式会社テスト", "Open Source Collective"}
	jobTitles = []string{"Chief Mathematician", "Backend Engineer", "Product Manager", "Student", "Forscherin", "CTO", "Designer"}
)

func pick[T any](rnd *rand.Rand, list []T) T { return list[rnd.Intn(len(list))] }

// nameParts builds attendee_name_parts and the concatenated name the way
// pretix concatenates for the scheme (salutation is not part of the name).
func nameParts(scheme string, p person, rnd *rand.Rand) (map[string]string, string) {
	parts := map[string]string{"_scheme": scheme}
	full := p.given + " " + p.family
	if p.cjk {
		full = p.family + p.given
	}
	var name string
	switch scheme {
	case "given_family":
		parts["given_name"], parts["family_name"] = p.given, p.family
		name = p.given + " " + p.family
	case "title_given_family", "salutation_title_given_family":
		t := pick(rnd, titles)
		parts["title"], parts["given_name"], parts["family_name"] = t, p.given, p.family
		name = strings.TrimSpace(t + " " + p.given + " " + p.family)
		if scheme == "salutation_title_given_family" {
			parts["salutation"] = pick(rnd, salutations)
		}
	case "given_middle_family":
		parts["given_name"], parts["middle_name"], parts["family_name"] = p.given, p.middle, p.family
		name = strings.Join(nonEmpty(p.given, p.middle, p.family), " ")
	case "title_given_middle_family":
		t := pick(rnd, titles)
		parts["title"], parts["given_name"], parts["middle_name"], parts["family_name"] = t, p.given, p.middle, p.family
		name = strings.Join(nonEmpty(t, p.given, p.middle, p.family), " ")
	case "family_given":
		parts["family_name"], parts["given_name"] = p.family, p.given
		name = p.family + " " + p.given
	case "family_nospace_given":
		parts["family_name"], parts["given_name"] = p.family, p.given
		name = p.family + p.given
	case "family_comma_given":
		parts["family_name"], parts["given_name"] = p.family, p.given
		name = p.family + ", " + p.given
	case "calling_full":
		parts["calling_name"], parts["full_name"] = p.given, full
		name = full
	case "full_transcription":
		parts["full_name"], parts["latin_transcription"] = full, p.asciiGiven+" "+p.asciiFam
		name = full
	case "salutation_given_family":
		parts["salutation"], parts["given_name"], parts["family_name"] = pick(rnd, salutations), p.given, p.family
		name = p.given + " " + p.family
	default: // "full" and unknown schemes
		parts["_scheme"] = "full"
		parts["full_name"] = full
		name = full
	}
	return parts, name
}

func nonEmpty(v ...string) []string {
	out := v[:0:0]
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func emailFor(p person, rnd *rand.Rand) string {
	local := p.asciiGiven + "." + p.asciiFam
	if rnd.Intn(4) == 0 {
		local += fmt.Sprint(rnd.Intn(100))
	}
	d := pick(rnd, domains)
	if rnd.Intn(25) == 0 {
		// People type their address in capitals now and then.
		return strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(d)
	}
	return local + "@" + d
}

// catalogueRoles sorts an event's items by what the generator uses them for.
type catalogueRoles struct {
	paidTickets []Item // admission items with a price
	freeTickets []Item // admission items for 0.00
	addons      []Item // items in add-on categories
	merch       []Item // everything else
}

func (e *event) roles() catalogueRoles {
	addonCat := map[int64]bool{}
	for _, c := range e.categories {
		if c.IsAddon {
			addonCat[c.ID] = true
		}
	}
	var r catalogueRoles
	for _, it := range e.items {
		switch {
		case it.Category != nil && addonCat[*it.Category]:
			r.addons = append(r.addons, it)
		case it.Admission && cents(it.DefaultPrice) == 0:
			r.freeTickets = append(r.freeTickets, it)
		case it.Admission:
			r.paidTickets = append(r.paidTickets, it)
		default:
			r.merch = append(r.merch, it)
		}
	}
	return r
}

func itemPrice(it Item, rnd *rand.Rand) (*int64, string) {
	if len(it.Variations) == 0 {
		return nil, it.DefaultPrice
	}
	v := it.Variations[0]
	if rnd.Intn(10) < 3 {
		v = pick(rnd, it.Variations)
	}
	return Int(v.ID), v.Price
}

func questionApplies(q Question, item int64) bool {
	if len(q.Items) == 0 {
		return true
	}
	for _, id := range q.Items {
		if id == item {
			return true
		}
	}
	return false
}

// answers fills answers for every question type with realistic rates.
func (s *Server) answers(e *event, item int64, at time.Time, rnd *rand.Rand) []Answer {
	var out []Answer
	for _, q := range e.questions {
		if !questionApplies(q, item) || q.AskDuringCheckin {
			continue
		}
		a := Answer{Question: q.ID, QuestionIdentifier: q.Identifier, Options: []int64{}, OptionIdentifiers: []string{}}
		switch q.Type {
		case QChoice:
			if rnd.Intn(10) >= 8 || len(q.Options) == 0 {
				continue
			}
			o := pick(rnd, q.Options)
			a.Answer = o.Answer["en"]
			a.Options, a.OptionIdentifiers = []int64{o.ID}, []string{o.Identifier}
		case QMultipleChoice:
			if rnd.Intn(2) == 0 || len(q.Options) == 0 {
				continue
			}
			var labels []string
			for _, o := range q.Options {
				if rnd.Intn(3) == 0 {
					labels = append(labels, o.Answer["en"])
					a.Options = append(a.Options, o.ID)
					a.OptionIdentifiers = append(a.OptionIdentifiers, o.Identifier)
				}
			}
			if len(labels) == 0 {
				o := q.Options[0]
				labels = []string{o.Answer["en"]}
				a.Options, a.OptionIdentifiers = []int64{o.ID}, []string{o.Identifier}
			}
			a.Answer = strings.Join(labels, ", ")
		case QBoolean:
			if rnd.Intn(10) == 0 {
				continue
			}
			a.Answer = "False"
			if rnd.Intn(2) == 0 {
				a.Answer = "True"
			}
		case QString:
			if rnd.Intn(10) >= 6 {
				continue
			}
			a.Answer = pick(rnd, jobTitles)
		case QText:
			if rnd.Intn(5) != 0 {
				continue
			}
			a.Answer = "Speaker at several meetups.\nLoves 🦫 gophers and ☕."
		case QNumber:
			if rnd.Intn(10) >= 4 {
				continue
			}
			a.Answer = fmt.Sprint(rnd.Intn(30))
			if rnd.Intn(4) == 0 {
				a.Answer += ".5"
			}
		case QDate:
			if rnd.Intn(10) >= 3 {
				continue
			}
			a.Answer = at.Add(time.Duration(30+rnd.Intn(40)) * 24 * time.Hour).Format("2006-01-02")
		case QTime:
			if rnd.Intn(5) != 0 {
				continue
			}
			a.Answer = fmt.Sprintf("%02d:%02d:00", 8+rnd.Intn(10), 15*rnd.Intn(4))
		case QDateTime:
			if rnd.Intn(7) != 0 {
				continue
			}
			a.Answer = at.Add(time.Duration(40*24+rnd.Intn(48)) * time.Hour).UTC().Format("2006-01-02T15:04:05Z")
		case QFile:
			if rnd.Intn(10) != 0 {
				continue
			}
			a.Answer = fmt.Sprintf("%s/api/v1/organizers/x/events/%s/orderpositions/0/answer/%d/", s.opts.PublicURL, e.Slug, q.ID)
		case QCountry:
			if rnd.Intn(2) == 0 {
				continue
			}
			a.Answer = pick(rnd, countries)
		case QPhone:
			if rnd.Intn(10) >= 4 {
				continue
			}
			a.Answer = fmt.Sprintf("+49%d%07d", 30+rnd.Intn(60), rnd.Intn(10_000_000))
		default:
			continue
		}
		out = append(out, a)
	}
	return out
}

// RandomOrder builds (without storing) a realistic order for the event,
// created at the given time: one to four tickets, add-ons attached to their
// ticket, merchandise, canceled positions, several name schemes (mostly the
// event's), unicode names, IDNA e-mail domains, answers to every question
// type, with or without invoice address, free and paid, pending, expired,
// canceled and test-mode orders. In positions AddonTo names the parent's
// positionid, as PlaceOrder expects.
func (s *Server) RandomOrder(org, ev string, at time.Time, rnd *rand.Rand) (Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, e, err := s.eventFor(org, ev)
	if err != nil {
		return Order{}, err
	}
	return s.randomOrder(e, at, rnd), nil
}

func (s *Server) randomOrder(e *event, at time.Time, rnd *rand.Rand) Order {
	at = at.UTC()
	r := e.roles()
	scheme := e.settings.NameScheme
	if rnd.Intn(20) == 0 {
		// Orders placed before the organizer switched name schemes keep the
		// old one.
		scheme = pick(rnd, []string{"full", "given_family", "title_given_family"})
	}
	buyer := pick(rnd, people)
	if scheme == "family_nospace_given" {
		for !buyer.cjk {
			buyer = pick(rnd, people)
		}
	}
	email := emailFor(buyer, rnd)
	locale := e.settings.Locale
	if len(e.settings.Locales) > 1 && rnd.Intn(3) == 0 {
		locale = pick(rnd, e.settings.Locales)
	}
	o := Order{
		Email: &email, Locale: locale, Datetime: Time(at), Testmode: rnd.Intn(33) == 0,
		SalesChannel: "web", Status: StatusPaid,
	}
	if rnd.Intn(5) < 2 {
		o.Phone = Str(fmt.Sprintf("+44%010d", rnd.Int63n(10_000_000_000)))
	}
	if len(r.paidTickets) == 0 && len(r.freeTickets) == 0 {
		r.paidTickets = append(r.merch, r.addons...)
		r.merch, r.addons = nil, nil
		if len(r.paidTickets) == 0 {
			o.Total = "0.00"
			return o
		}
	}
	free := len(r.paidTickets) == 0 || (len(r.freeTickets) > 0 && rnd.Intn(10) == 0)
	nTickets := 1
	switch x := rnd.Intn(20); {
	case x >= 17:
		nTickets = 3 + rnd.Intn(2)
	case x >= 12:
		nTickets = 2
	}
	var subevent *int64
	if e.HasSubevents && len(e.subevents) > 0 {
		subevent = Int(pick(rnd, e.subevents).ID)
	}
	pos := 0
	for i := 0; i < nTickets; i++ {
		var it Item
		if free {
			it = pick(rnd, r.freeTickets)
		} else {
			it = pick(rnd, r.paidTickets)
		}
		variation, price := itemPrice(it, rnd)
		att := buyer
		if i > 0 {
			att = pick(rnd, people)
		}
		parts, name := nameParts(scheme, att, rnd)
		pos++
		p := Position{PositionID: pos, Item: it.ID, Variation: variation, Price: price, AttendeeName: &name, AttendeeNameParts: parts, Subevent: subevent}
		if rnd.Intn(10) < 7 {
			ae := email
			if i > 0 {
				ae = emailFor(att, rnd)
			}
			p.AttendeeEmail = &ae
		}
		if rnd.Intn(4) == 0 {
			c := pick(rnd, countries)
			p.Country = &c
			p.City = Str(cities[c][1])
		}
		p.Answers = s.answers(e, it.ID, at, rnd)
		parent := pos
		o.Positions = append(o.Positions, p)
		if len(r.addons) > 0 && !free && rnd.Intn(4) == 0 {
			ad := pick(rnd, r.addons)
			v, price := itemPrice(ad, rnd)
			pos++
			// Add-ons carry no attendee data of their own.
			o.Positions = append(o.Positions, Position{PositionID: pos, Item: ad.ID, Variation: v, Price: price, AddonTo: Int(int64(parent)), Subevent: subevent})
		}
	}
	if len(r.merch) > 0 && !free && rnd.Intn(10) == 0 {
		m := pick(rnd, r.merch)
		v, price := itemPrice(m, rnd)
		pos++
		o.Positions = append(o.Positions, Position{PositionID: pos, Item: m.ID, Variation: v, Price: price})
	}
	if len(o.Positions) > 1 && rnd.Intn(12) == 0 {
		o.Positions[len(o.Positions)-1].Canceled = true
	}
	if rnd.Intn(4) != 0 {
		parts, name := nameParts(scheme, buyer, rnd)
		c := pick(rnd, countries)
		ia := &InvoiceAddress{
			Name: name, NameParts: parts, Street: fmt.Sprintf("Hauptstraße %d", 1+rnd.Intn(200)),
			Zipcode: cities[c][0], City: cities[c][1], Country: c, TransmissionType: "email", TransmissionInfo: map[string]any{},
		}
		if rnd.Intn(3) == 0 {
			ia.IsBusiness = true
			ia.Company = pick(rnd, companies)
			ia.VATID = fmt.Sprintf("%s%09d", c, rnd.Intn(1_000_000_000))
			ia.InternalReference = fmt.Sprintf("PO-%d", 1000+rnd.Intn(9000))
		}
		if c == "US" {
			ia.State = "CA"
		}
		o.InvoiceAddress = ia
	}
	var total int64
	for _, p := range o.Positions {
		if !p.Canceled {
			total += cents(p.Price)
		}
	}
	provider := pick(rnd, []string{"stripe", "banktransfer", "paypal"})
	if total > 0 && rnd.Intn(10) < 3 && provider != "banktransfer" {
		o.Fees = append(o.Fees, Fee{FeeType: "payment", Value: "1.50", InternalType: provider})
		total += 150
	}
	o.Total = money(total)
	if total == 0 {
		o.Status = StatusPaid
		o.PaymentProvider = Str("free")
		d := at.Format("2006-01-02")
		o.PaymentDate = &d
		o.Payments = []Payment{{State: "confirmed", Amount: "0.00", Created: Time(at), PaymentDate: TP(at), Provider: "free"}}
		return o
	}
	o.PaymentProvider = &provider
	switch x := rnd.Intn(100); {
	case x < 68: // paid, sometimes after a failed attempt
		if rnd.Intn(10) == 0 {
			o.Payments = append(o.Payments, Payment{State: "failed", Amount: o.Total, Created: Time(at), Provider: provider})
		}
		paidAt := s.notAfterNow(at.Add(time.Duration(1+rnd.Intn(72*60)) * time.Minute))
		o.Payments = append(o.Payments, Payment{State: "confirmed", Amount: o.Total, Created: Time(at), PaymentDate: TP(paidAt), Provider: provider})
		d := paidAt.Format("2006-01-02")
		o.PaymentDate = &d
		if rnd.Intn(6) == 0 {
			s.checkIn(e, &o, paidAt.Add(50*24*time.Hour), rnd)
		}
	case x < 83:
		o.Status = StatusPending
		o.Payments = []Payment{{State: "created", Amount: o.Total, Created: Time(at), Provider: provider}}
		if rnd.Intn(8) == 0 {
			o.RequireApproval = true
			o.Payments = nil
		}
	case x < 89:
		o.Status = StatusExpired
		o.Payments = []Payment{{State: "canceled", Amount: o.Total, Created: Time(at), Provider: provider}}
	case x < 98:
		o.Status = StatusCanceled
		o.CancellationDate = TP(at.Add(time.Duration(1+rnd.Intn(240)) * time.Hour))
		if rnd.Intn(2) == 0 {
			paidAt := s.notAfterNow(at.Add(time.Hour))
			o.Payments = []Payment{{State: "refunded", Amount: o.Total, Created: Time(at), PaymentDate: TP(paidAt), Provider: provider}}
			o.Refunds = []Refund{{State: "done", Source: "admin", Amount: o.Total, Payment: new(int), Created: *o.CancellationDate, ExecutionDate: o.CancellationDate, Provider: provider}}
			*o.Refunds[0].Payment = 1
		}
	default:
		// Canceled with a cancellation fee: pretix keeps status "p", cancels
		// every position and keeps only the fee.
		paidAt := s.notAfterNow(at.Add(time.Hour))
		o.Payments = []Payment{{State: "confirmed", Amount: o.Total, Created: Time(at), PaymentDate: TP(paidAt), Provider: provider}}
		for i := range o.Positions {
			o.Positions[i].Canceled = true
		}
		for i := range o.Fees {
			o.Fees[i].Canceled = true
		}
		o.Fees = append(o.Fees, Fee{FeeType: "cancellation", Value: "25.00"})
	}
	return o
}

// checkIn adds successful check-ins (in the event's time zone, as real data
// shows offsets) to some admission positions.
func (s *Server) checkIn(e *event, o *Order, at time.Time, rnd *rand.Rand) {
	if len(e.checkinLists) == 0 {
		return
	}
	loc, err := time.LoadLocation(e.Timezone)
	if err != nil {
		loc = time.UTC
	}
	for i := range o.Positions {
		p := &o.Positions[i]
		if p.Canceled || p.AddonTo != nil {
			continue
		}
		t := at.Add(time.Duration(rnd.Intn(120)) * time.Minute).In(loc)
		p.Checkins = append(p.Checkins, Checkin{ID: s.newIDLocked(), List: e.checkinLists[0].ID, Datetime: Time(t), Type: "entry"})
		if len(e.checkinLists) > 1 && rnd.Intn(3) == 0 {
			p.Checkins = append(p.Checkins,
				Checkin{ID: s.newIDLocked(), List: e.checkinLists[1].ID, Datetime: Time(t.Add(3 * time.Hour)), Type: "entry"},
				Checkin{ID: s.newIDLocked(), List: e.checkinLists[0].ID, Datetime: Time(t.Add(26 * time.Hour)), Type: "entry"})
		}
	}
}

// newIDLocked hands out ids while only a read lock is held (the generator
// runs under RLock when building an order that is not stored yet).
func (s *Server) newIDLocked() int64 {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	s.nextID++
	return s.nextID
}

// GenerateOrders stores n realistic orders (see RandomOrder) created between
// 90 days and one hour before the clock's now, in creation order, each
// last modified up to three days after creation (never in the future). No
// webhooks are sent. It returns the order codes.
func (s *Server) GenerateOrders(org, ev string, n int, rnd *rand.Rand) ([]string, error) {
	now := s.clock.Now().UTC()
	return s.GenerateOrdersBetween(org, ev, n, now.Add(-90*24*time.Hour), now.Add(-time.Hour), rnd)
}

// GenerateOrdersBetween is GenerateOrders with an explicit creation window.
func (s *Server) GenerateOrdersBetween(org, ev string, n int, from, to time.Time, rnd *rand.Rand) ([]string, error) {
	now := s.clock.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, e, err := s.eventFor(org, ev)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, n)
	step := to.Sub(from) / time.Duration(max(n, 1))
	for i := 0; i < n; i++ {
		at := from.Add(step*time.Duration(i) + time.Duration(rnd.Int63n(int64(max(step, 1)))))
		ord := s.randomOrder(e, at, rnd)
		lm := at.Add(time.Duration(rnd.Int63n(int64(72 * time.Hour))))
		if lm.After(now) {
			lm = now
		}
		ord.LastModified = Time(lm)
		if ord.InvoiceAddress != nil {
			ord.InvoiceAddress.LastModified = Time(at)
		}
		s.nextSeq++
		s.complete(org, e, &ord, s.nextSeq)
		if _, err := s.insert(o, e, ord, s.nextSeq); err != nil {
			return codes, err
		}
		codes = append(codes, ord.Code)
	}
	return codes, nil
}

// PlaceRandomOrder places a RandomOrder created now (webhooks included).
func (s *Server) PlaceRandomOrder(org, ev string, rnd *rand.Rand) (Order, error) {
	o, err := s.RandomOrder(org, ev, s.clock.Now(), rnd)
	if err != nil {
		return o, err
	}
	return s.PlaceOrder(org, ev, o)
}

// notAfterNow keeps generated payment times out of the future: an order
// placed a minute ago cannot have been paid tomorrow.
func (s *Server) notAfterNow(t time.Time) time.Time {
	if now := s.clock.Now().UTC(); t.After(now) {
		return now
	}
	return t
}
