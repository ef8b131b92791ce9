package mapping

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// ExportFormat names the JSON document of exported mappings.
const ExportFormat = "pretix-hubspot/mappings"

// Export is every mapping of an event as a portable JSON document: no ids,
// associations as indexes of earlier mappings.
type Export struct {
	Format   string           `json:"format"`
	Version  int              `json:"version"`
	Provider string           `json:"provider"`
	Event    string           `json:"event,omitempty"` // the source event's slug, for people
	Mappings []ExportedObject `json:"mappings"`
}

// ExportedObject is one object mapping; Rows[0] is the identifier.
type ExportedObject struct {
	SourceType    string     `json:"source_type"`
	TargetType    string     `json:"target_type"`
	Rows          []RowInput `json:"rows"`
	AssociateWith []int      `json:"associate_with"`
}

// Export returns the event's mappings as a JSON document.
func (s *Service) Export(ctx context.Context, eventID int64) (*Export, error) {
	var ev models.PretixEvent
	if err := s.db.WithContext(ctx).Select("id", "slug").Take(&ev, eventID).Error; err != nil {
		return nil, apperr.NotFound("event_not_found", "This event does not exist (any more). Refresh the organizer's event list.")
	}
	all, err := loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	out := &Export{Format: ExportFormat, Version: 1, Provider: hubspotsync.ProviderName, Event: ev.Slug, Mappings: make([]ExportedObject, 0, len(all))}
	idx := map[int64]int{}
	for i, st := range all {
		idx[st.om.ID] = i
		o := ExportedObject{SourceType: st.om.SourceType, TargetType: st.om.TargetType, Rows: st.rows(), AssociateWith: []int{}}
		for _, id := range st.assoc {
			if j, ok := idx[id]; ok {
				o.AssociateWith = append(o.AssociateWith, j)
			}
		}
		for j := range o.Rows {
			if o.Rows[j].ValueMap == nil {
				o.Rows[j].ValueMap = map[string]string{}
			}
		}
		out.Mappings = append(out.Mappings, o)
	}
	return out, nil
}

// Import replaces the event's mappings with the document's, after checking
// every row against this event's catalogue and HubSpot account. Nothing is
// changed when a row is impossible. replace must be set when the event
// already has mappings.
func (s *Service) Import(ctx context.Context, eventID int64, doc *Export, replace bool) ([]Mapping, error) {
	if doc == nil || doc.Format != ExportFormat || doc.Version != 1 {
		return nil, apperr.Invalid("import_format_invalid",
			fmt.Sprintf("This is not a mapping export of pretix-hubspot (expected \"format\": %q, \"version\": 1). Export the mappings of the other event again and import that file.", ExportFormat)).
			WithField("data", "Not a mapping export.")
	}
	if doc.Provider != "" && doc.Provider != hubspotsync.ProviderName {
		return nil, apperr.Invalid("import_provider_invalid", fmt.Sprintf("These mappings are for %q, not HubSpot.", doc.Provider)).WithField("data", "Wrong provider.")
	}
	if len(doc.Mappings) == 0 {
		return nil, apperr.Invalid("import_empty", "The file contains no mappings.").WithField("data", "No mappings.")
	}
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	c := s.newChecker(ctx, ed)
	errs := map[string]string{}
	var reasons []string
	idNotUnique := false
	type planned struct {
		src   fields.ObjectType
		tgt   hubspot.ObjectType
		rows  []RowInput
		assoc []int
	}
	plan := make([]planned, len(doc.Mappings))
	for i, m := range doc.Mappings {
		prefix := fmt.Sprintf("mappings.%d.", i)
		name := fmt.Sprintf("Mapping %d", i+1)
		src, err := parseSource(m.SourceType, "source_type")
		if err != nil {
			errs[prefix+"source_type"] = "Unknown pretix object type."
			reasons = append(reasons, fmt.Sprintf("%s: unknown pretix object type %q", name, m.SourceType))
			continue
		}
		tgt, err := parseTarget(m.TargetType, "target_type")
		if err != nil {
			errs[prefix+"target_type"] = "Unknown HubSpot object type."
			reasons = append(reasons, fmt.Sprintf("%s: unknown HubSpot object type %q", name, m.TargetType))
			continue
		}
		if msg := hubspotsync.SourceRule(string(src), tgt); msg != "" {
			errs[prefix+"source_type"] = msg
			reasons = append(reasons, name+": "+msg)
			continue
		}
		name = fmt.Sprintf("Mapping %d (%s → %s)", i+1, src.Label(), hubspotsync.TargetLabel(tgt))
		if len(m.Rows) == 0 {
			errs[prefix+"rows"] = "The identifier row is missing."
			reasons = append(reasons, name+": the identifier row is missing")
			continue
		}
		rows := cleanRows(ed.res, m.Rows)
		rep := c.check(ctx, src, tgt, rows)
		if rep.schemaErr != nil {
			return nil, rep.schemaErr
		}
		idNotUnique = idNotUnique || rep.idNotUnique
		keys := make([]string, 0, len(rep.errs))
		for k := range rep.errs {
			if k != UniquePropertyKey {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			errs[prefix+k] = rep.errs[k]
			var row int
			var col string
			if _, err := fmt.Sscanf(strings.Replace(k, ".", " ", 2), "rows %d %s", &row, &col); err == nil {
				reasons = append(reasons, fmt.Sprintf("%s, row %d: %s", name, row+1, rep.errs[k]))
			}
		}
		var assoc []int
		for _, j := range m.AssociateWith {
			if j < 0 || j >= i {
				errs[prefix+"associate_with"] = "Associations may only point to earlier mappings."
				reasons = append(reasons, name+": an association points to a later mapping")
				continue
			}
			if msg := hubspotsync.AssociationRule(tgt, plan[j].tgt); msg != "" {
				errs[prefix+"associate_with"] = msg
				reasons = append(reasons, name+": "+msg)
				continue
			}
			assoc = append(assoc, j)
		}
		plan[i] = planned{src: src, tgt: tgt, rows: rows, assoc: assoc}
	}
	if len(errs) > 0 {
		msg := "The mappings were not imported because they do not fit this event or HubSpot account"
		if len(reasons) > 0 {
			shown := reasons
			if len(shown) > 5 {
				shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(reasons)-5))
			}
			msg += ": " + strings.Join(shown, "; ")
		}
		ae := &apperr.Error{Kind: apperr.KindInvalid, Code: "import_invalid", Message: msg + ".", Fields: errs}
		if idNotUnique {
			ae.Code = "import_identifier_not_unique"
		}
		return nil, ae
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		existing, err := loadAll(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if len(existing) > 0 && !replace {
			return apperr.New(apperr.KindConflict, "mappings_exist",
				fmt.Sprintf("This event already has %d %s. Importing replaces them; confirm to go ahead.", len(existing), plural(len(existing), "mapping", "mappings")))
		}
		for _, st := range existing {
			if err := tx.Where("object_mapping_id = ?", st.om.ID).Delete(&models.PropertyMapping{}).Error; err != nil {
				return apperr.Internal(err)
			}
			if err := tx.Delete(&models.ObjectMapping{}, st.om.ID).Error; err != nil {
				return apperr.Internal(err)
			}
		}
		now := s.clock.Now().UTC()
		ids := make([]int64, len(plan))
		for i, p := range plan {
			assoc := make([]int64, 0, len(p.assoc))
			for _, j := range p.assoc {
				if !containsID(assoc, ids[j]) {
					assoc = append(assoc, ids[j])
				}
			}
			om := models.ObjectMapping{EventID: eventID, Provider: hubspotsync.ProviderName, Position: i, SourceType: string(p.src),
				TargetType: string(p.tgt), IDField: p.rows[0].PretixField, IDProperty: p.rows[0].Property,
				AssociateWithJSON: "[]", CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&om).Error; err != nil {
				return apperr.Internal(err)
			}
			ids[i] = om.ID
			if err := saveRows(tx, &om, p.src, p.rows, assoc, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	return s.List(ctx, eventID)
}

// Copy replaces the event's mappings with those of another event.
func (s *Service) Copy(ctx context.Context, eventID, fromEventID int64, replace bool) ([]Mapping, error) {
	if fromEventID == eventID {
		return nil, apperr.Invalid("copy_same_event", "Choose another event to copy the mappings from.").WithField("from_event_id", "Choose another event.")
	}
	doc, err := s.Export(ctx, fromEventID)
	if err != nil {
		return nil, err
	}
	if len(doc.Mappings) == 0 {
		return nil, apperr.Invalid("copy_source_empty", fmt.Sprintf("Event %q has no mappings to copy.", doc.Event)).WithField("from_event_id", "No mappings.")
	}
	return s.Import(ctx, eventID, doc, replace)
}

// CopySource is an event whose mappings can be copied.
type CopySource struct {
	EventID   int64  `json:"event_id"`
	Organizer string `json:"organizer"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	Mappings  int    `json:"mappings"`
}

// CopySources lists the other events that have HubSpot mappings.
func (s *Service) CopySources(ctx context.Context, eventID int64) ([]CopySource, error) {
	var rows []struct {
		EventID   int64
		Organizer string
		Slug      string
		NameJSON  string
		Mappings  int
	}
	err := s.db.WithContext(ctx).Table("object_mappings AS m").
		Select("m.event_id, o.slug AS organizer, e.slug, e.name_json, COUNT(*) AS mappings").
		Joins("JOIN pretix_events e ON e.id = m.event_id").
		Joins("JOIN pretix_organizers o ON o.id = e.organizer_id").
		Where("m.provider = ? AND m.event_id <> ?", hubspotsync.ProviderName, eventID).
		Group("m.event_id, o.slug, e.slug, e.name_json").Order("o.slug, e.slug").Scan(&rows).Error
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]CopySource, 0, len(rows))
	for _, r := range rows {
		name := r.Slug
		var n pretixwire.LocalizedText
		if err := n.UnmarshalJSON([]byte(r.NameJSON)); err == nil {
			if l := n.Localize(pretixwire.DisplayLanguage); l != "" {
				name = l
			}
		}
		out = append(out, CopySource{EventID: r.EventID, Organizer: r.Organizer, Slug: r.Slug, Name: name, Mappings: r.Mappings})
	}
	return out, nil
}
