package hubspotfake

import (
	"fmt"
	"sort"
	"strings"
)

// ValidationRule is a rule a HubSpot admin configured on a property. From
// the 2026-09 API version on, HubSpot enforces such rules on every CRM
// write (reference §0); older versions ignore them.
type ValidationRule struct {
	ObjectType string // e.g. "deals"
	Property   string // the property the rule requires
	// When makes the property required once the record, as the write
	// leaves it, holds all these values (e.g. dealstage closedwon); empty
	// means required whenever a record is created.
	When map[string]string
}

// rulesFrom is the first date version that enforces validation rules.
const rulesFrom = "2026-09"

// AddValidationRule configures a rule on a portal.
func (s *Server) AddValidationRule(hubID int64, r ValidationRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules[hubID] = append(s.rules[hubID], r)
}

// checkRules refuses a write that leaves a record against one of the
// portal's validation rules; s.mu is held.
func (s *Server) checkRules(pt *portal, version, ot string, existing *record, norm map[string]string) *apiError {
	if version < rulesFrom {
		return nil
	}
	value := func(k string) string {
		if v, ok := norm[k]; ok {
			return v
		}
		if existing != nil {
			return existing.props[k]
		}
		return ""
	}
	for _, r := range s.rules[pt.ID] {
		if r.ObjectType != ot || value(r.Property) != "" {
			continue
		}
		applies := existing == nil
		var conds []string
		if len(r.When) > 0 {
			applies = true
			for k, v := range r.When {
				applies = applies && strings.EqualFold(value(k), v)
				conds = append(conds, fmt.Sprintf("%s is %s", k, v))
			}
		}
		if !applies {
			continue
		}
		sort.Strings(conds)
		why := "when a record is created"
		if len(conds) > 0 {
			why = "when " + strings.Join(conds, " and ")
		}
		msg := fmt.Sprintf("Property values were not valid: %s is required %s (validation rule set by an admin of this account)", r.Property, why)
		e := newAPIError(400, "VALIDATION_ERROR", msg)
		e.body.Errors = []errorDetail{{Message: fmt.Sprintf("%s is required %s", r.Property, why), Code: "REQUIRED_FIELD", In: r.Property}}
		return e
	}
	return nil
}
