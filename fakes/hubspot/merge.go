package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// merge joins two records of a type as an admin's merge in HubSpot does:
// the survivor gets a new id, the primary's values with the other's where
// the primary has none, both records' associations, and the ids in
// hs_merged_object_ids. The two old ids still answer reads with the
// survivor; updates of them get 404. A contact keeps the other's email as
// an additional email, by which it is still found; other unique values of
// the merged-away record are gone. s.mu is held.
func (s *Server) merge(pt *portal, ot, primaryID, otherID string) (*record, *apiError) {
	st := pt.objects[ot]
	if st == nil {
		return nil, badRequest("Merging is not supported for " + ot)
	}
	if primaryID == otherID {
		return nil, badRequest("A record cannot be merged with itself.")
	}
	primary, other := pt.findBy(ot, "", primaryID), pt.findBy(ot, "", otherID)
	if primary == nil || other == nil {
		missing := primaryID
		if primary != nil {
			missing = otherID
		}
		return nil, notFoundError(fmt.Sprintf("Object not found. objectId are usually numeric. (%s %s)", hubspotTypeName[ot], missing))
	}
	props := map[string]string{}
	for k, v := range other.props {
		if !pt.isUniqueKey(ot, k) {
			props[k] = v
		}
	}
	for k, v := range primary.props {
		if v != "" {
			props[k] = v
		}
	}
	var aliases []string
	if ot == "contacts" {
		seen := map[string]bool{primary.props["email"]: true}
		for _, v := range []string{other.props["email"], primary.props["hs_additional_emails"], other.props["hs_additional_emails"]} {
			for _, e := range strings.Split(v, ";") {
				if e != "" && !seen[e] {
					seen[e] = true
					aliases = append(aliases, e)
				}
			}
		}
		props["hs_additional_emails"] = strings.Join(aliases, ";")
	}
	props["hs_merged_object_ids"] = strings.Trim(primary.props["hs_merged_object_ids"]+";"+other.props["hs_merged_object_ids"]+";"+primaryID+";"+otherID, ";")
	delete(props, "hs_object_id")
	delete(props, "createdate")
	primary.archived, other.archived = true, true
	survivor := s.newRecord(pt, ot, pt.newID())
	survivor.created = primary.created
	applyProps(st, survivor, props)
	st.set(survivor, "createdate", primary.props["createdate"])
	for _, e := range aliases {
		st.emailAlias[e] = survivor
	}
	for _, old := range []*record{primary, other} {
		old.mergedInto = survivor.id
		for k, targets := range pt.links {
			if k.fromType != ot || k.fromID != old.id {
				continue
			}
			for toID, types := range targets {
				for typeID := range types {
					pt.associate(ot, survivor.id, k.toType, toID, typeID)
				}
			}
		}
		pt.unlinkAll(ot, old.id)
	}
	s.touch(pt, ot, survivor)
	return survivor, nil
}

// mergeObjects is POST /crm/objects/{version}/{type}/merge.
func (s *Server) mergeObjects(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope(objectScope(c.objectType, "write")); e != nil {
		s.writeError(w, e)
		return
	}
	var in struct {
		PrimaryObjectID string `json:"primaryObjectId"`
		ObjectIDToMerge string `json:"objectIdToMerge"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil || in.PrimaryObjectID == "" || in.ObjectIDToMerge == "" {
		s.writeError(w, badRequest("Invalid input: primaryObjectId and objectIdToMerge are required."))
		return
	}
	rec, e := s.merge(c.portal, c.objectType, in.PrimaryObjectID, in.ObjectIDToMerge)
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, recordJSON(c.objectType, rec, nil))
}

// Merge merges otherID into primaryID as an admin does in HubSpot and
// returns the survivor's id.
func (s *Server) Merge(hubID int64, objectType, primaryID, otherID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, e := s.merge(s.portalLocked(hubID), objectTypes[objectType], primaryID, otherID)
	if e != nil {
		return "", fmt.Errorf("%s", e.body.Message)
	}
	return rec.id, nil
}
