package hubspotfake

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Record is a stored CRM record, as tests see it.
type Record struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (s *Server) portalLocked(hubID int64) *portal {
	pt := s.portals[hubID]
	if pt == nil {
		panic(fmt.Sprintf("hubspotfake: no portal %d", hubID))
	}
	return pt
}

func snapshot(r *record) Record {
	props := make(map[string]string, len(r.props))
	for k, v := range r.props {
		props[k] = v
	}
	return Record{ID: r.id, Properties: props, CreatedAt: r.created, UpdatedAt: r.updated}
}

// Records lists a portal's live records of an object type in creation order.
func (s *Server) Records(hubID int64, objectType string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.portalLocked(hubID).objects[objectTypes[objectType]]
	var out []Record
	for _, id := range st.order {
		if r := st.byID[id]; !r.archived {
			out = append(out, snapshot(r))
		}
	}
	return out
}

// FindRecord returns the live record whose property equals value ("" or
// hs_object_id: by id; email: case-insensitively).
func (s *Server) FindRecord(hubID int64, objectType, property, value string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.portalLocked(hubID).findBy(objectTypes[objectType], property, value)
	if r == nil {
		return Record{}, false
	}
	return snapshot(r), true
}

// SeedRecord stores a record directly, skipping validation (emails are
// lower-cased as HubSpot would), and returns its id.
func (s *Server) SeedRecord(hubID int64, objectType string, props map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.portalLocked(hubID)
	ot := objectTypes[objectType]
	r := s.newRecord(pt, ot, pt.newID())
	for k, v := range props {
		if k == "email" {
			v = normEmail(v)
		}
		pt.objects[ot].set(r, k, v)
	}
	return r.id
}

// Associations returns the ids of toType records linked to a record, each
// with its association type ids.
func (s *Server) Associations(hubID int64, fromType, fromID, toType string) map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]int{}
	for id, types := range s.portalLocked(hubID).links[linkKey{objectTypes[fromType], fromID, objectTypes[toType]}] {
		for t := range types {
			out[id] = append(out[id], t)
		}
		sort.Ints(out[id])
	}
	return out
}

// Properties returns a copy of a portal's property definitions.
func (s *Server) Properties(hubID int64, objectType string) []Property {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Property
	for _, p := range s.portalLocked(hubID).props[objectTypes[objectType]] {
		cp := *p
		cp.Options = append([]Option{}, p.Options...)
		out = append(out, cp)
	}
	return out
}

// AddProperty creates a custom property directly (as a HubSpot admin would in
// the UI); it fails like the API does.
func (s *Server) AddProperty(hubID int64, objectType string, p Property) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e := s.addProperty(s.portalLocked(hubID), objectTypes[objectType], propertyCreate{
		Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType, GroupName: p.GroupName,
		Description: p.Description, Options: p.Options, HasUniqueValue: p.HasUniqueValue, FormField: p.FormField,
	})
	if e != nil {
		return fmt.Errorf("%d %s: %s", e.status, e.body.Category, e.body.Message)
	}
	return nil
}

// AddPipeline adds a deal pipeline to a portal.
func (s *Server) AddPipeline(hubID int64, p Pipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.portalLocked(hubID)
	cp := p
	cp.Stages = append([]Stage(nil), p.Stages...)
	for i := range cp.Stages {
		if cp.Stages[i].WritePermissions == "" {
			cp.Stages[i].WritePermissions = "CRM_PERMISSIONS_ENFORCEMENT"
		}
	}
	pt.pipelines = append(pt.pipelines, &cp)
}

// IssueToken installs the app in a portal without the consent pages and
// returns an access and a refresh token.
func (s *Server) IssueToken(hubID int64, scopes []string) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.portalLocked(hubID)
	g := &grant{refresh: "na1-" + s.randHex(32), hub: hubID, scopes: append([]string{}, scopes...)}
	s.grants[g.refresh] = g
	body := s.issueAccessLocked(g)
	return body["access_token"].(string), g.refresh
}

// ExpireAccessTokens makes every access token of a portal expired now, as if
// HubSpot had shortened their life: the next call gets 401
// EXPIRED_AUTHENTICATION.
func (s *Server) ExpireAccessTokens(hubID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, at := range s.access {
		if at.hub == hubID {
			at.expires = now
		}
	}
}

// RevokeRefreshToken kills a grant: refreshing it fails with BAD_REFRESH_TOKEN.
func (s *Server) RevokeRefreshToken(refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.grants[refresh]; g != nil {
		g.revoked = true
	}
}

// RefreshTokenActive reports whether a refresh token still works.
func (s *Server) RefreshTokenActive(refresh string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grants[refresh]
	return g != nil && !g.revoked
}

// UninstallApp removes the app from a portal: refreshes fail with BAD_HUB
// and access tokens stop working.
func (s *Server) UninstallApp(hubID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.portalLocked(hubID).installed = false
}

// HubOfRequest returns the portal a request's access token belongs to, for
// benchmarks that count requests per portal.
func (s *Server) HubOfRequest(r *http.Request) (int64, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, found := s.access[tok]; found {
		return at.hub, true
	}
	return 0, false
}
