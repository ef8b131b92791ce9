package hubspotfake

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

var recordTmpl = withLayout(`
<div class="card">
{{if .Error}}<div class="error" role="alert"><h2>Record not found</h2><p>{{.Error}}</p></div>
{{else}}
<p class="muted">{{.Portal}} · {{.TypeLabel}}</p>
<h1>{{.Name}}</h1>
<p class="sub">Record {{.ID}} — read-only in the emulator.</p>
<table><tbody>
{{range .Props}}<tr><th scope="row">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</tbody></table>
{{if .Assoc}}<h2 style="margin-top:1.25rem">Associations</h2>
<ul>{{range .Assoc}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2 style="margin-top:1.25rem">Merge</h2>
<form method="post" action="{{.MergePath}}">
<label for="other">Merge another {{.TypeLabel}} into this one (its record id)</label>
<input id="other" name="other" inputmode="numeric" required>
<button type="submit">Merge</button>
<p class="muted">As in HubSpot: the result is a new record with a new id; both old ids still open it.</p>
</form>
{{end}}
</div>`)

var typeByID = map[string][2]string{"0-1": {"contacts", "Contact"}, "0-2": {"companies", "Company"}, "0-3": {"deals", "Deal"},
	"0-8": {"line_items", "Line item"}, "0-7": {"products", "Product"}}

// recordPage answers the link the product builds for a record
// (/contacts/<portal>/record/<type id>/<id>) with a simple read-only page,
// so record links open in a demo.
func (s *Server) recordPage(w http.ResponseWriter, r *http.Request) {
	hub, _ := strconv.ParseInt(r.PathValue("portal"), 10, 64)
	if r.PathValue("typeID") == marketingEventTypeID {
		s.marketingEventPage(w, hub, r.PathValue("id"))
		return
	}
	t, ok := typeByID[r.PathValue("typeID")]
	id := r.PathValue("id")
	data := struct {
		Title, Error, Portal, TypeLabel, Name, ID, MergePath string
		Props                                                []struct{ Name, Value string }
		Assoc                                                []string
	}{Title: "Record", ID: id}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	s.mu.Lock()
	pt := s.portals[hub]
	var rec *record
	if pt != nil && ok && pt.objects[t[0]] != nil {
		// A merged-away id opens the survivor, as HubSpot redirects.
		if rec = pt.resolve(t[0], "", id); rec != nil {
			id = rec.id
		}
	}
	if rec == nil || rec.archived {
		s.mu.Unlock()
		data.Error = "This HubSpot account has no such record (it may have been deleted or merged)."
		w.WriteHeader(http.StatusNotFound)
		_ = recordTmpl.Execute(w, data)
		return
	}
	data.Portal, data.TypeLabel = pt.Portal.Name, t[1]
	for k, v := range rec.props {
		if v != "" {
			data.Props = append(data.Props, struct{ Name, Value string }{k, v})
		}
	}
	for _, toType := range []string{"contacts", "companies", "deals", "line_items"} {
		for other := range pt.links[linkKey{t[0], id, toType}] {
			label := other
			if o := pt.objects[toType]; o != nil && o.byID[other] != nil {
				label = recordName(toType, o.byID[other].props, other)
			}
			data.Assoc = append(data.Assoc, typeLabel(toType)+": "+label)
		}
	}
	s.mu.Unlock()
	sort.Slice(data.Props, func(i, j int) bool { return data.Props[i].Name < data.Props[j].Name })
	sort.Strings(data.Assoc)
	data.Name = recordName(t[0], rec.props, id)
	data.MergePath = r.URL.Path + "/merge"
	data.Title = data.Name
	_ = recordTmpl.Execute(w, data)
}

// mergePage merges the record named in the form into the page's record, as
// an admin does in HubSpot, and shows the survivor.
func (s *Server) mergePage(w http.ResponseWriter, r *http.Request) {
	hub, _ := strconv.ParseInt(r.PathValue("portal"), 10, 64)
	t, ok := typeByID[r.PathValue("typeID")]
	s.mu.Lock()
	pt := s.portals[hub]
	var rec *record
	var e *apiError
	if pt == nil || !ok {
		e = notFoundError("This HubSpot account has no such record.")
	} else {
		rec, e = s.merge(pt, t[0], r.PathValue("id"), strings.TrimSpace(r.FormValue("other")))
	}
	s.mu.Unlock()
	if e != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(e.status)
		_ = recordTmpl.Execute(w, map[string]string{"Title": "Merge", "Error": e.body.Message})
		return
	}
	http.Redirect(w, r, "/contacts/"+r.PathValue("portal")+"/record/"+r.PathValue("typeID")+"/"+rec.id, http.StatusSeeOther)
}

func typeLabel(ot string) string {
	for _, t := range typeByID {
		if t[0] == ot {
			return t[1]
		}
	}
	return ot
}

func recordName(ot string, p map[string]string, id string) string {
	switch ot {
	case "contacts":
		if n := p["firstname"] + " " + p["lastname"]; n != " " {
			return n
		}
		if p["email"] != "" {
			return p["email"]
		}
	case "deals":
		if p["dealname"] != "" {
			return p["dealname"]
		}
	case "companies", "line_items", "products":
		if p["name"] != "" {
			return p["name"]
		}
	}
	return id
}
