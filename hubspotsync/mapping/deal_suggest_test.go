package mapping

import (
	"testing"

	"pretix-hubspot/hubspot"
)

func TestDefaultPipelineStages(t *testing.T) {
	st := func(id string, order int, closed bool, p float64) hubspot.Stage {
		return hubspot.Stage{ID: id, DisplayOrder: order, IsClosed: closed, Probability: p}
	}
	sales := hubspot.Pipeline{ID: "default", Label: "Sales", DisplayOrder: 1, Stages: []hubspot.Stage{
		st("lost", 5, true, 0), st("won", 4, true, 1), st("contract", 2, false, 0.8), st("lead", 1, false, 0.1)}}
	events := hubspot.Pipeline{ID: "events", Label: "Events", DisplayOrder: 0, Stages: []hubspot.Stage{
		st("booked", 0, false, 0.5), st("paid", 1, true, 1), st("gone", 2, true, 0)}}
	archivedOpen := st("old", 0, false, 0.1)
	archivedOpen.Archived = true
	for _, c := range []struct {
		name            string
		pls             []hubspot.Pipeline
		pipeline        string
		won, open, lost string
	}{
		{"HubSpot's default pipeline first, whatever its display order", []hubspot.Pipeline{events, sales}, "default", "won", "lead", "lost"},
		{"else the first by display order", []hubspot.Pipeline{{ID: "b", DisplayOrder: 2, Stages: sales.Stages}, events}, "events", "paid", "booked", "gone"},
		{"archived stages are not offered", []hubspot.Pipeline{{ID: "default", Stages: append([]hubspot.Stage{archivedOpen}, sales.Stages...)}}, "default", "won", "lead", "lost"},
		{"no closed lost stage", []hubspot.Pipeline{{ID: "default", Stages: []hubspot.Stage{st("lead", 0, false, 0.1), st("won", 1, true, 1)}}}, "default", "won", "lead", ""},
		{"no pipeline", nil, "", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pl, won, open, lost := defaultPipeline(c.pls)
			id := func(s *hubspot.Stage) string {
				if s == nil {
					return ""
				}
				return s.ID
			}
			got := ""
			if pl != nil {
				got = pl.ID
			}
			if got != c.pipeline || id(won) != c.won || id(open) != c.open || id(lost) != c.lost {
				t.Errorf("pipeline %q won %q open %q lost %q, want %q %q %q %q", got, id(won), id(open), id(lost), c.pipeline, c.won, c.open, c.lost)
			}
		})
	}
}
