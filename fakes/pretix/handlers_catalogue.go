package pretixfake

import (
	"net/http"
	"strconv"
)

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, _ *reqCtx) {
	writeJSON(w, http.StatusOK, map[string]any{"pretix": s.opts.Version, "pretix_numeric": versionNumber(s.opts.Version)})
}

// versionNumber turns "2025.10.0" into 2025100000.
func versionNumber(v string) int64 {
	var parts [3]int64
	i := 0
	for _, c := range v {
		if c == '.' {
			i++
			if i == len(parts) {
				break
			}
			continue
		}
		if c >= '0' && c <= '9' {
			parts[i] = parts[i]*10 + int64(c-'0')
		}
	}
	return parts[0]*1_000_000 + parts[1]*1_000 + parts[2]
}

func (s *Server) listOrganizers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var out []Organizer
	if o := s.orgs[rc.token.org]; o != nil {
		out = append(out, o.Organizer)
	}
	writePage(w, r, out)
}

func (s *Server) getOrganizer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writeJSON(w, http.StatusOK, rc.org.Organizer)
}

func (s *Server) visibleEvents(rc *reqCtx) []*event {
	var out []*event
	for _, slug := range rc.org.eventOrder {
		if teamCoversEvent(rc.token.team, slug) {
			out = append(out, rc.org.events[slug])
		}
	}
	return out
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var out []Event
	for _, ev := range s.visibleEvents(rc) {
		out = append(out, ev.Event)
	}
	writePage(w, r, out)
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writeJSON(w, http.StatusOK, rc.ev.Event)
}

func (s *Server) getEventSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.token.team.CanChangeEventSettings {
		writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
		return
	}
	writeJSON(w, http.StatusOK, rc.ev.settings)
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writePage(w, r, rc.ev.items)
}

func (s *Server) findItem(w http.ResponseWriter, r *http.Request, rc *reqCtx) *Item {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for i := range rc.ev.items {
		if rc.ev.items[i].ID == id {
			return &rc.ev.items[i]
		}
	}
	writeDetail(w, http.StatusNotFound, "Not found.")
	return nil
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if it := s.findItem(w, r, rc); it != nil {
		writeJSON(w, http.StatusOK, it)
	}
}

func (s *Server) listVariations(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if it := s.findItem(w, r, rc); it != nil {
		writePage(w, r, it.Variations)
	}
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writePage(w, r, rc.ev.categories)
}

func (s *Server) listQuestions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writePage(w, r, rc.ev.questions)
}

func (s *Server) listQuestionOptions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, q := range rc.ev.questions {
		if q.ID == id {
			writePage(w, r, q.Options)
			return
		}
	}
	writeDetail(w, http.StatusNotFound, "Not found.")
}

func (s *Server) listCheckinLists(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writePage(w, r, rc.ev.checkinLists)
}

func (s *Server) listSubEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writePage(w, r, rc.ev.subevents)
}

func (s *Server) listOrganizerSubEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var out []SubEvent
	for _, ev := range s.visibleEvents(rc) {
		out = append(out, ev.subevents...)
	}
	writePage(w, r, out)
}
