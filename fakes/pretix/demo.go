package pretixfake

import (
	"math/rand"
	"time"
)

// Demo describes what SeedDemo created.
type Demo struct {
	Organizer string
	Token     string
	Events    []string
}

// DemoToken is the API token SeedDemo creates (full permissions).
const DemoToken = "demo-token-9k3vq7x2m8w4p6r1t5y0"

// SeedDemo fills the emulator with a demo organizer "demo" with two events —
// a German/English conference with a title/given/middle/family name scheme
// and an English event series — each with a realistic catalogue and
// ordersPerEvent orders.
func SeedDemo(s *Server, ordersPerEvent int, rnd *rand.Rand) (Demo, error) {
	d := Demo{Organizer: "demo", Token: DemoToken, Events: []string{"devcon", "summer-series"}}
	s.AddOrganizer(d.Organizer, "Demo Conferences e.V.")
	if err := s.AddToken(d.Organizer, d.Token, Team{Name: "Integrations", AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		return d, err
	}
	now := s.clock.Now()
	if err := s.SeedEvent(d.Organizer, "devcon", EventSpec{
		Name:       LocalizedString{"en": "DevCon 2026", "de": "DevCon 2026"},
		Locales:    []string{"en", "de"},
		NameScheme: "title_given_middle_family",
		DateFrom:   now.Add(45 * 24 * time.Hour),
	}); err != nil {
		return d, err
	}
	if err := s.SeedEvent(d.Organizer, "summer-series", EventSpec{
		Name:         LocalizedString{"en": "Summer Talks"},
		NameScheme:   "given_family",
		Timezone:     "Europe/London",
		Currency:     "GBP",
		DateFrom:     now.Add(20 * 24 * time.Hour),
		HasSubevents: true,
	}); err != nil {
		return d, err
	}
	for _, ev := range d.Events {
		if _, err := s.GenerateOrders(d.Organizer, ev, ordersPerEvent, rnd); err != nil {
			return d, err
		}
	}
	return d, nil
}
