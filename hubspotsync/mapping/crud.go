package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// stored is one object mapping with its property rows, its JSON columns
// decoded once by loadAll. A column that cannot be read is shown empty with
// an error on its row, so the editor can still open the mapping and a save
// writes it afresh.
type stored struct {
	om          models.ObjectMapping
	pms         []models.PropertyMapping
	valueMaps   []map[string]string // per pms entry
	assoc       []int64             // AssociateWithJSON
	unreadable  map[int]bool        // pms indexes whose value map could not be read
	assocBroken bool
}

func (st *stored) rows() []RowInput {
	out := make([]RowInput, 0, len(st.pms)+1)
	out = append(out, RowInput{PretixField: st.om.IDField, Property: st.om.IDProperty, Mode: ModeIdentifier})
	for i, pm := range st.pms {
		out = append(out, RowInput{PretixField: pm.PretixField, Property: pm.Property, Mode: pm.Mode, ValueMap: st.valueMaps[i]})
	}
	return out
}

// sameRows reports whether two tables send the same (an empty value map is
// no value map).
func sameRows(a, b []RowInput) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.PretixField != y.PretixField || x.Property != y.Property || x.Mode != y.Mode || len(x.ValueMap) != len(y.ValueMap) {
			return false
		}
		for k, v := range x.ValueMap {
			if y.ValueMap[k] != v {
				return false
			}
		}
	}
	return true
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// decodeColumn decodes a stored JSON column into out; an empty column (or
// null) leaves out as it is.
func decodeColumn(s string, out any) error {
	if s = strings.TrimSpace(s); s == "" || s == "null" {
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

func encodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// loadAll returns the event's mappings in processing order.
func loadAll(ctx context.Context, db *gorm.DB, eventID int64) ([]*stored, error) {
	var oms []models.ObjectMapping
	if err := db.WithContext(ctx).Where("event_id = ? AND provider = ?", eventID, hubspotsync.ProviderName).Order("position, id").Find(&oms).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("load mappings of event %d: %w", eventID, err))
	}
	if len(oms) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(oms))
	byID := make(map[int64]*stored, len(oms))
	out := make([]*stored, len(oms))
	for i := range oms {
		ids[i] = oms[i].ID
		out[i] = &stored{om: oms[i]}
		byID[oms[i].ID] = out[i]
	}
	var pms []models.PropertyMapping
	if err := db.WithContext(ctx).Where("object_mapping_id IN ?", ids).Order("position, id").Find(&pms).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("load property mappings of event %d: %w", eventID, err))
	}
	for _, pm := range pms {
		st := byID[pm.ObjectMappingID]
		vm := map[string]string{}
		if err := decodeColumn(pm.ValueMapJSON, &vm); err != nil {
			if st.unreadable == nil {
				st.unreadable = map[int]bool{}
			}
			st.unreadable[len(st.pms)], vm = true, map[string]string{}
		}
		st.pms = append(st.pms, pm)
		st.valueMaps = append(st.valueMaps, vm)
	}
	for _, st := range out {
		st.assoc = []int64{}
		if err := decodeColumn(st.om.AssociateWithJSON, &st.assoc); err != nil {
			st.assoc, st.assocBroken = []int64{}, true
		}
	}
	return out, nil
}

func notFound(id int64) *apperr.Error {
	return apperr.NotFound("mapping_not_found", fmt.Sprintf("Mapping %d does not exist in this event (any more). Reload the page.", id))
}

// loadOne loads the event, all of its mappings and the one with id.
func (s *Service) loadOne(ctx context.Context, eventID, id int64) (*eventData, []*stored, *stored, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, nil, nil, err
	}
	all, err := loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, nil, nil, err
	}
	st := find(all, id)
	if st == nil {
		return nil, nil, nil, notFound(id)
	}
	return ed, all, st, nil
}

func find(all []*stored, id int64) *stored {
	for _, st := range all {
		if st.om.ID == id {
			return st
		}
	}
	return nil
}

// view renders a stored mapping with its warnings and current problems.
func (c *checker) view(ctx context.Context, st *stored) Mapping {
	m := c.render(ctx, st, fields.ObjectType(st.om.SourceType), st.rows(), st.assoc)
	for i := range st.unreadable {
		if k := rowKey(i+1, "property"); m.Errors[k] == "" {
			m.Errors[k] = "The saved value mapping of this row could not be read. Choose the values again with Edit value mapping, then save."
		}
	}
	if st.assocBroken && m.Errors["associate_with"] == "" {
		m.Errors["associate_with"] = "The saved associations of this mapping could not be read. Choose them again, then save."
	}
	return m
}

// render shows a mapping with the given (possibly unsaved) table.
func (c *checker) render(ctx context.Context, st *stored, src fields.ObjectType, rows []RowInput, assoc []int64) Mapping {
	tgt := hubspot.ObjectType(st.om.TargetType)
	rep := c.check(ctx, src, tgt, rows)
	m := Mapping{
		ID: st.om.ID, Position: st.om.Position, SourceType: string(src), SourceLabel: src.Label(),
		TargetType: st.om.TargetType, TargetLabel: hubspotsync.TargetLabel(tgt), IDField: rows[0].PretixField, IDProperty: rows[0].Property,
		AssociateWith: assoc, Rows: make([]Row, len(rows)), Errors: rep.errs,
	}
	if m.Errors == nil {
		m.Errors = map[string]string{}
	}
	if f, ok := c.ed.res.Field(m.IDField); ok {
		m.IDFieldLabel = f.Label
	}
	if rep.schemaErr != nil {
		m.SchemaError = errorText(rep.schemaErr)
	} else if p := c.sc.props[tgt][m.IDProperty]; p != nil {
		m.IDPropertyLabel = p.Label
	}
	for i, r := range rows {
		vm := r.ValueMap
		if vm == nil {
			vm = map[string]string{}
		}
		m.Rows[i] = Row{PretixField: r.PretixField, Property: r.Property, Mode: r.Mode, ValueMap: vm, Warning: rep.warnings[i], Hint: rep.hints[i]}
	}
	return m
}

// errorText is the user-facing text of an error.
func errorText(err error) string {
	if ae, ok := apperr.As(err); ok && ae.Kind != apperr.KindInternal {
		return ae.Message
	}
	return "HubSpot's property definitions could not be read. Try again in a moment."
}

// List returns the event's mappings in processing order, each with its
// rows, warnings and current problems.
func (s *Service) List(ctx context.Context, eventID int64) ([]Mapping, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	all, err := loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]Mapping, 0, len(all))
	if len(all) == 0 {
		return out, nil
	}
	c := s.newChecker(ctx, ed)
	for _, st := range all {
		out = append(out, c.view(ctx, st))
	}
	return out, nil
}

// Get returns one mapping.
func (s *Service) Get(ctx context.Context, eventID, id int64) (*Mapping, error) {
	ed, _, st, err := s.loadOne(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	m := s.newChecker(ctx, ed).view(ctx, st)
	return &m, nil
}

// defaultIdentifier is the identifier a new mapping starts with: the
// buyer's or attendee's email for contacts, the order code (ticket id for
// positions) for deals, the company name for companies — the latter two
// need a unique property, which the editor offers to create.
func defaultIdentifier(src fields.ObjectType, tgt hubspot.ObjectType) (field, property string) {
	pos := src == fields.ObjectPosition
	switch tgt {
	case hubspot.Contacts:
		if pos {
			return "attendee_email", "email"
		}
		return "email", "email"
	case hubspot.LineItems:
		return "event_ticket_id", "pretix_line_item_key"
	case hubspot.Deals:
		if pos {
			return "ticket_id", "pretix_ticket_id"
		}
		return "order_code", "pretix_order_id"
	default:
		if pos {
			return "attendee_company", "pretix_attendee_company"
		}
		return "invoice_address_company", "pretix_company"
	}
}

// defaultAssociations follows DESIGN §5 step 7: a deal with the order's
// contacts and company, a contact with the company — associations are
// symmetric, so a new mapping links to every earlier one of another type.
func defaultAssociations(all []*stored, tgt hubspot.ObjectType) []int64 {
	ids := []int64{}
	for _, st := range all {
		if hubspotsync.AssociationRule(tgt, hubspot.ObjectType(st.om.TargetType)) == "" {
			ids = append(ids, st.om.ID)
		}
	}
	return ids
}

// Create adds a mapping at the end with a default identifier and the
// default associations; the editor then fills in its properties.
func (s *Service) Create(ctx context.Context, eventID int64, in CreateInput) (*Mapping, error) {
	src, err := parseSource(in.SourceType, "source_type")
	if err != nil {
		return nil, err
	}
	tgt, err := parseTarget(in.TargetType, "target_type")
	if err != nil {
		return nil, err
	}
	if err := checkSource(src, tgt, "source_type"); err != nil {
		return nil, err
	}
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		all, err := loadAll(ctx, tx, eventID)
		if err != nil {
			return err
		}
		idField, idProp := defaultIdentifier(src, tgt)
		now := s.clock.Now().UTC()
		om := models.ObjectMapping{EventID: eventID, Provider: hubspotsync.ProviderName, Position: len(all), SourceType: string(src),
			TargetType: string(tgt), IDField: idField, IDProperty: idProp,
			AssociateWithJSON: encodeJSON(defaultAssociations(all, tgt)), CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&om).Error; err != nil {
			return apperr.Internal(err)
		}
		id = om.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	all, err := loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	m := s.newChecker(ctx, ed).view(ctx, find(all, id))
	return &m, nil
}

// cleanRows trims the input, fixes row 0's mode and keeps only value-map
// entries for options the field has.
func cleanRows(res *fields.Resolver, in []RowInput) []RowInput {
	out := make([]RowInput, len(in))
	for i, r := range in {
		r.PretixField = strings.TrimSpace(r.PretixField)
		r.Property = strings.TrimSpace(r.Property)
		r.Mode = strings.TrimSpace(r.Mode)
		if i == 0 {
			r.Mode = ModeIdentifier
		}
		vm := map[string]string{}
		if f, ok := res.Field(r.PretixField); ok && f.Type.IsChoice() && i > 0 {
			for _, o := range f.Options {
				if v := strings.TrimSpace(r.ValueMap[o.Value]); v != "" {
					vm[o.Value] = v
				}
			}
		}
		r.ValueMap = vm
		out[i] = r
	}
	return out
}

// checkAssociations keeps the associations to earlier mappings, refusing
// others.
func checkAssociations(all []*stored, self *stored, ids []int64, errs map[string]string) []int64 {
	earlier := map[int64]*stored{}
	for _, st := range all {
		if st == self {
			break
		}
		earlier[st.om.ID] = st
	}
	seen := map[int64]bool{}
	out := []int64{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		other := earlier[id]
		if other == nil {
			errs["associate_with"] = "A mapping can only be associated with mappings above it; reload the page and choose again."
			continue
		}
		if msg := hubspotsync.AssociationRule(hubspot.ObjectType(self.om.TargetType), hubspot.ObjectType(other.om.TargetType)); msg != "" {
			errs["associate_with"] = msg
			continue
		}
		out = append(out, id)
	}
	return out
}

// Update saves the whole table of a mapping (row 0 the identifier), its
// pretix object type and associations. Impossible rows refuse the save with
// their reasons; risky rows are saved and come back with warnings.
func (s *Service) Update(ctx context.Context, eventID, id int64, in UpdateInput) (*Mapping, error) {
	src, err := parseSource(in.SourceType, "source_type")
	if err != nil {
		return nil, err
	}
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if len(in.Rows) == 0 {
		return nil, apperr.Invalid(CodeMappingInvalid, "The identifier row is missing; every mapping needs one.").WithField("rows", "Add the identifier row.")
	}
	all, err := loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	st := find(all, id)
	if st == nil {
		return nil, notFound(id)
	}
	if err := checkSource(src, hubspot.ObjectType(st.om.TargetType), "source_type"); err != nil {
		return nil, err
	}
	rows := cleanRows(ed.res, in.Rows)
	c := s.newChecker(ctx, ed)
	rep := c.check(ctx, src, hubspot.ObjectType(st.om.TargetType), rows)
	if rep.schemaErr != nil {
		return nil, rep.schemaErr
	}
	if rep.errs == nil {
		rep.errs = map[string]string{}
	}
	assoc := checkAssociations(all, st, in.AssociateWith, rep.errs)
	if len(rep.errs) > 0 {
		return nil, invalid(rep.errs, rep.idNotUnique, "The mapping")
	}
	changed := string(src) != st.om.SourceType || !sameRows(st.rows(), rows) || !sameIDs(st.assoc, assoc)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return saveRows(tx, &st.om, src, rows, assoc, s.clock.Now().UTC())
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	all, err = loadAll(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	m := c.view(ctx, find(all, id))
	if changed {
		// Synced orders keep what they were sent until they are synced again.
		ids, err := datasync.SyncedOrders(ctx, s.db, eventID, id)
		if err != nil {
			return nil, err
		}
		m.AffectedOrders = len(ids)
	}
	return &m, nil
}

// Check validates an unsaved table the way Update would and returns it
// with its problems (Errors) and warnings, without saving: the editor shows
// them while the user edits.
func (s *Service) Check(ctx context.Context, eventID, id int64, in UpdateInput) (*Mapping, error) {
	src, err := parseSource(in.SourceType, "source_type")
	if err != nil {
		return nil, err
	}
	if len(in.Rows) == 0 {
		return nil, apperr.Invalid(CodeMappingInvalid, "The identifier row is missing; every mapping needs one.").WithField("rows", "Add the identifier row.")
	}
	ed, all, st, err := s.loadOne(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	c := s.newChecker(ctx, ed)
	m := c.render(ctx, st, src, cleanRows(ed.res, in.Rows), nil)
	m.AssociateWith = checkAssociations(all, st, in.AssociateWith, m.Errors)
	return &m, nil
}

func saveRows(tx *gorm.DB, om *models.ObjectMapping, src fields.ObjectType, rows []RowInput, assoc []int64, now time.Time) error {
	if assoc == nil {
		assoc = []int64{}
	}
	res := tx.Model(&models.ObjectMapping{}).Where("id = ?", om.ID).Updates(map[string]any{
		"source_type": string(src), "id_field": rows[0].PretixField, "id_property": rows[0].Property,
		"associate_with_json": encodeJSON(assoc), "updated_at": now,
	})
	if res.Error != nil {
		return apperr.Internal(res.Error)
	}
	if err := tx.Where("object_mapping_id = ?", om.ID).Delete(&models.PropertyMapping{}).Error; err != nil {
		return apperr.Internal(err)
	}
	if len(rows) == 1 {
		return nil
	}
	pms := make([]models.PropertyMapping, 0, len(rows)-1)
	for i, r := range rows[1:] {
		pms = append(pms, models.PropertyMapping{ObjectMappingID: om.ID, Position: i, PretixField: r.PretixField,
			Property: r.Property, Mode: r.Mode, ValueMapJSON: encodeJSON(r.ValueMap)})
	}
	if err := tx.Create(&pms).Error; err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// Delete removes a mapping, its rows and every association to it. Sync
// results that name it stay (they record what was sent).
func (s *Service) Delete(ctx context.Context, eventID, id int64) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		all, err := loadAll(ctx, tx, eventID)
		if err != nil {
			return err
		}
		st := find(all, id)
		if st == nil {
			return notFound(id)
		}
		if err := tx.Where("object_mapping_id = ?", id).Delete(&models.PropertyMapping{}).Error; err != nil {
			return apperr.Internal(err)
		}
		if err := tx.Delete(&models.ObjectMapping{}, id).Error; err != nil {
			return apperr.Internal(err)
		}
		rest := make([]*stored, 0, len(all)-1)
		for _, o := range all {
			if o != st {
				rest = append(rest, o)
			}
		}
		return renumber(tx, rest, s.clock.Now().UTC())
	})
	if err == nil {
		s.onChange(ctx, eventID)
	}
	return err
}

// Reorder sets the processing order; ids must list every mapping of the
// event once.
func (s *Service) Reorder(ctx context.Context, eventID int64, ids []int64) ([]Mapping, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		all, err := loadAll(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if len(ids) != len(all) {
			return apperr.Invalid("mapping_order_invalid", "The list of mappings changed meanwhile. Reload the page and move the mapping again.")
		}
		ordered := make([]*stored, 0, len(all))
		seen := map[int64]bool{}
		for _, id := range ids {
			st := find(all, id)
			if st == nil || seen[id] {
				return apperr.Invalid("mapping_order_invalid", "The list of mappings changed meanwhile. Reload the page and move the mapping again.")
			}
			seen[id] = true
			ordered = append(ordered, st)
		}
		return renumber(tx, ordered, s.clock.Now().UTC())
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	return s.List(ctx, eventID)
}

// renumber stores positions 0… in the given order and keeps every
// association, holding it on the later mapping of the pair: HubSpot
// associations go both ways, and the sync links each object to earlier ones.
func renumber(tx *gorm.DB, ordered []*stored, now time.Time) error {
	pos := make(map[int64]int, len(ordered))
	for i, st := range ordered {
		pos[st.om.ID] = i
	}
	assoc := make(map[int64][]int64, len(ordered))
	for _, st := range ordered {
		for _, other := range st.assoc {
			op, ok := pos[other]
			if !ok || other == st.om.ID {
				continue // a deleted mapping
			}
			a, b := st.om.ID, other
			if op > pos[a] {
				a, b = b, a
			}
			if !containsID(assoc[a], b) {
				assoc[a] = append(assoc[a], b)
			}
		}
	}
	for i, st := range ordered {
		ids := assoc[st.om.ID]
		if ids == nil {
			ids = []int64{}
		}
		sort.Slice(ids, func(x, y int) bool { return pos[ids[x]] < pos[ids[y]] })
		j := encodeJSON(ids)
		if st.om.Position == i && st.om.AssociateWithJSON == j {
			continue
		}
		err := tx.Model(&models.ObjectMapping{}).Where("id = ?", st.om.ID).
			Updates(map[string]any{"position": i, "associate_with_json": j, "updated_at": now}).Error
		if err != nil {
			return apperr.Internal(err)
		}
	}
	return nil
}

func containsID(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
