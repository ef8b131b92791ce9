package hubspotsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// codeMappingInvalid marks a stored mapping the sync cannot use.
const codeMappingInvalid = "mapping_invalid"

// codeSetupPending marks an event whose HubSpot setup is not finished yet
// (no mapping, or an identifier property still to be created): its orders
// wait instead of failing, and run once the mapping can work.
const codeSetupPending = "setup_pending"

// SetupRetry is how long orders wait for an unfinished setup before they
// look again by themselves; saving a mapping or creating a property wakes
// them at once.
const SetupRetry = time.Hour

func setupPending(format string, args ...any) *apperr.Error {
	return apperr.Invalid(codeSetupPending, fmt.Sprintf(format, args...))
}

func mappingErr(format string, args ...any) *apperr.Error {
	return apperr.Invalid(codeMappingInvalid, fmt.Sprintf(format, args...))
}

// mapPlan is one object mapping, ready to extract objects.
type mapPlan struct {
	idx     int
	m       models.ObjectMapping
	src     fields.ObjectType
	ot      hubspot.ObjectType
	id      fields.Getter
	idDef   hubspot.Property
	props   []propPlan
	assocTo []int // indexes of earlier mapPlans this one associates with
	// product names the product of a line item whose mapping links products.
	product fields.Getter
}

// propPlan is one property row.
type propPlan struct {
	get      fields.Getter
	def      hubspot.Property
	mode     string
	valueMap map[string]string
	link     bool // the line item's product link: the value is a SKU to resolve
}

// resolverEntry caches an event's resolver: building it parses the whole
// catalogue, so it is rebuilt only when the puller refreshed the event.
type resolverEntry struct {
	key string
	res *fields.Resolver
}

// resolver returns the event's field resolver, cached per event and
// invalidated when the stored catalogue changes.
func (p *Provider) resolver(ev *models.PretixEvent) (*fields.Resolver, error) {
	key := fmt.Sprint(ev.UpdatedAt.UnixNano(), "/", ev.RefreshedAt)
	p.mu.Lock()
	e, ok := p.resolvers[ev.ID]
	p.mu.Unlock()
	if ok && e.key == key {
		return e.res, nil
	}
	info, err := fields.EventInfoFor(ev)
	if err != nil {
		return nil, err
	}
	res := fields.NewResolver(info)
	p.mu.Lock()
	p.resolvers[ev.ID] = resolverEntry{key: key, res: res}
	p.mu.Unlock()
	return res, nil
}

// loadMappings reads an event's HubSpot mappings in processing order. They
// are read for every batch (two small queries), so an edit applies to the
// next batch without any cache to invalidate.
func (p *Provider) loadMappings(ctx context.Context, eventID int64) ([]models.ObjectMapping, map[int64][]models.PropertyMapping, error) {
	var oms []models.ObjectMapping
	if err := p.db.WithContext(ctx).Where("event_id = ? AND provider = ?", eventID, ProviderName).
		Order("position, id").Find(&oms).Error; err != nil {
		return nil, nil, err
	}
	props := map[int64][]models.PropertyMapping{}
	if len(oms) == 0 {
		return oms, props, nil
	}
	ids := make([]int64, len(oms))
	for i := range oms {
		ids[i] = oms[i].ID
	}
	var pms []models.PropertyMapping
	if err := p.db.WithContext(ctx).Where("object_mapping_id IN ?", ids).Order("position, id").Find(&pms).Error; err != nil {
		return nil, nil, err
	}
	for _, pm := range pms {
		props[pm.ObjectMappingID] = append(props[pm.ObjectMappingID], pm)
	}
	return oms, props, nil
}

// propertyDefs fetches (cached by the client) the definitions of the
// object types the mappings write.
type propertyDefs struct {
	cl   *hubspot.Client
	defs map[hubspot.ObjectType]map[string]hubspot.Property
	// refreshed records types reloaded after a miss, so a property created
	// in HubSpot minutes ago is found without waiting for the cache.
	refreshed map[hubspot.ObjectType]bool
}

// lookup is get as a pointer, nil when the portal has no such property.
func (d *propertyDefs) lookup(ctx context.Context, ot hubspot.ObjectType, name string) (*hubspot.Property, error) {
	p, ok, err := d.get(ctx, ot, name)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

func (d *propertyDefs) get(ctx context.Context, ot hubspot.ObjectType, name string) (hubspot.Property, bool, error) {
	m, ok := d.defs[ot]
	if !ok {
		list, err := d.cl.Properties(ctx, ot)
		if err != nil {
			return hubspot.Property{}, false, err
		}
		m = index(list)
		d.defs[ot] = m
	}
	if p, ok := m[name]; ok {
		return p, true, nil
	}
	if d.refreshed[ot] {
		return hubspot.Property{}, false, nil
	}
	d.refreshed[ot] = true
	list, err := d.cl.RefreshProperties(ctx, ot)
	if err != nil {
		return hubspot.Property{}, false, err
	}
	d.defs[ot] = index(list)
	p, ok := d.defs[ot][name]
	return p, ok, nil
}

func index(list []hubspot.Property) map[string]hubspot.Property {
	m := make(map[string]hubspot.Property, len(list))
	for _, p := range list {
		m[p.Name] = p
	}
	return m
}

// compile checks the stored mappings against the field catalogue and the
// portal's properties and prepares them for extraction. Any error is a
// misconfiguration of the whole event (or a HubSpot failure reading the
// property definitions).
func compile(ctx context.Context, res *fields.Resolver, defs *propertyDefs, oms []models.ObjectMapping, props map[int64][]models.PropertyMapping) ([]*mapPlan, error) {
	if len(oms) == 0 {
		return nil, setupPending("Waiting for a HubSpot mapping. The order syncs by itself once a mapping is saved under Settings → HubSpot.")
	}
	plans := make([]*mapPlan, 0, len(oms))
	byID := map[int64]int{}
	for i, om := range oms {
		name := fmt.Sprintf("mapping %d (%s → %s)", i+1, sourceLabel(om.SourceType), TargetLabel(hubspot.ObjectType(om.TargetType)))
		mp := &mapPlan{idx: i, m: om}
		switch om.SourceType {
		case models.SourceOrder:
			mp.src = fields.ObjectOrder
		case models.SourcePosition:
			mp.src = fields.ObjectPosition
		default:
			return nil, mappingErr("The HubSpot %s has an unknown pretix object type %q. Edit the mapping.", name, om.SourceType)
		}
		ot, err := hubspot.ParseObjectType(om.TargetType)
		if err != nil {
			return nil, mappingErr("The HubSpot %s has an unknown HubSpot object type %q. Edit the mapping.", name, om.TargetType)
		}
		mp.ot = ot
		if msg := SourceRule(om.SourceType, ot); msg != "" {
			return nil, ruleBroken(name, msg)
		}
		if mp.id, err = res.Getter(om.IDField, mp.src); err != nil {
			return nil, err
		}
		idDef, err := defs.lookup(ctx, ot, om.IDProperty)
		if err != nil {
			return nil, err
		}
		if idDef == nil && ot != hubspot.Contacts {
			// The editor offers to create it (Create unique property).
			return nil, setupPending("Waiting: the %s property “%s” does not exist yet. Create it in the %s under Settings → HubSpot; the order then syncs by itself.",
				strings.ToLower(SingularLabel(ot)), om.IDProperty, name)
		}
		if msg := PropertyRule(ot, om.IDProperty, idDef); msg != "" {
			return nil, ruleBroken(name, msg)
		}
		if !IdentifierRule(ot, idDef) {
			return nil, mappingErr("The identifier of the HubSpot %s, “%s”, is not a unique property of %s, so it cannot find existing records. Use email for contacts, or a property with unique values.", name, om.IDProperty, ot)
		}
		mp.idDef = *idDef
		for _, pm := range props[om.ID] {
			if msg := ModeRule(pm.Mode); msg != "" {
				return nil, ruleBroken(name, fmt.Sprintf("the row for “%s” has the unknown mode %q. %s", pm.Property, pm.Mode, msg))
			}
			get, err := res.Getter(pm.PretixField, mp.src)
			if err != nil {
				return nil, err
			}
			def, err := defs.lookup(ctx, ot, pm.Property)
			if err != nil {
				return nil, err
			}
			if msg := PropertyRule(ot, pm.Property, def); msg != "" {
				return nil, ruleBroken(name, msg)
			}
			pp := propPlan{get: get, def: *def, mode: pm.Mode, link: IsProductLink(ot, pm.Property)}
			if pp.link {
				if msg := ProductLinkRule(ot, pm.Property, pm.PretixField); msg != "" {
					return nil, ruleBroken(name, msg)
				}
				if mp.product, err = res.Getter("product", mp.src); err != nil {
					return nil, err
				}
			}
			if s := strings.TrimSpace(pm.ValueMapJSON); s != "" && s != "{}" && s != "null" {
				if err := json.Unmarshal([]byte(s), &pp.valueMap); err != nil {
					return nil, mappingErr("The value mapping of “%s” in the HubSpot %s cannot be read. Edit the value mapping.", pm.Property, name)
				}
			}
			mp.props = append(mp.props, pp)
		}
		var assoc []int64
		if s := strings.TrimSpace(om.AssociateWithJSON); s != "" {
			if err := json.Unmarshal([]byte(s), &assoc); err != nil {
				return nil, mappingErr("The associations of the HubSpot %s cannot be read. Edit the mapping.", name)
			}
		}
		for _, id := range assoc {
			j, ok := byID[id]
			if !ok {
				// A mapping that was deleted or moved after this one: the
				// editor offers only earlier mappings, so the link is stale.
				continue
			}
			if msg := AssociationRule(ot, plans[j].ot); msg != "" {
				return nil, ruleBroken(name, msg)
			}
			mp.assocTo = append(mp.assocTo, j)
		}
		sort.Ints(mp.assocTo)
		byID[om.ID] = i
		plans = append(plans, mp)
	}
	return plans, nil
}

// ruleBroken is a mapping rule (rules.go) a stored mapping breaks, e.g.
// after a property was archived in HubSpot.
func ruleBroken(mapping, msg string) error {
	return mappingErr("The HubSpot %s needs editing under Settings → HubSpot: %s", mapping, msg)
}

func sourceLabel(src string) string {
	if src == models.SourcePosition {
		return "Order position"
	}
	return src
}

// loadEvent reads the event row.
func (p *Provider) loadEvent(ctx context.Context, eventID int64) (*models.PretixEvent, error) {
	var ev models.PretixEvent
	err := p.db.WithContext(ctx).Take(&ev, eventID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("event_not_found", "This event no longer exists locally. Refresh the organizer's events from pretix.")
	}
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("load event %d: %w", eventID, err))
	}
	return &ev, nil
}
