package hubspotfake

import (
	"strconv"
	"strings"
	"time"
)

// objectTypes maps every accepted spelling of an object type to its name.
var objectTypes = map[string]string{
	"contacts": "contacts", "0-1": "contacts",
	"companies": "companies", "0-2": "companies",
	"deals": "deals", "0-3": "deals",
	"line_items": "line_items", "0-8": "line_items",
	"products": "products", "0-7": "products",
}

// hubspotTypeName is the upper-case singular HubSpot uses in messages.
var hubspotTypeName = map[string]string{"contacts": "CONTACT", "companies": "COMPANY", "deals": "DEAL", "line_items": "LINE_ITEM", "products": "PRODUCT"}

// typeIDs are the object type ids (0-1 …) used in messages and record links.
var typeIDs = map[string]string{"contacts": "0-1", "companies": "0-2", "deals": "0-3", "line_items": "0-8", "products": "0-7"}

// objectScope is the scope an object call needs: products belong to the
// e-commerce scope, every other type has its own read and write scopes.
func objectScope(objectType, verb string) string {
	if objectType == "products" {
		return "e-commerce"
	}
	return "crm.objects." + objectType + "." + verb
}

// schemaScope is the scope creating a property of the type needs.
func schemaScope(objectType string) string {
	if objectType == "products" {
		return "e-commerce"
	}
	return "crm.schemas." + objectType + ".write"
}

// portal is one account's state.
type portal struct {
	Portal
	loc       *time.Location
	installed bool // false after UninstallApp: refreshes fail with BAD_HUB
	nextID    int64
	objects   map[string]*objectStore
	props     map[string][]*Property
	pipelines []*Pipeline
	links     map[linkKey]map[string]map[int]bool // (type, id, toType) → toID → type ids
	// Marketing events by app, external account and event id.
	mevents     map[string]*mevent
	meventOrder []string

	window   []time.Time // accepted requests in the rolling window
	dayKey   string
	dayCount int
}

type linkKey struct {
	fromType, fromID, toType string
}

type objectStore struct {
	byID  map[string]*record
	order []string // creation order, for listing
	// byValue finds records by property value as HubSpot's own indexes
	// do: a scan under the emulator's lock would make every write slower
	// as the portal fills, and serialize all requests behind it.
	byValue map[string]map[string][]*record // property → value → records, in creation order
	// emailAlias finds a merged contact by the email of a record merged
	// into it (HubSpot keeps it as an additional email).
	emailAlias map[string]*record
}

func newObjectStore() *objectStore {
	return &objectStore{byID: map[string]*record{}, byValue: map[string]map[string][]*record{}, emailAlias: map[string]*record{}}
}

// set changes one property of r (an empty value removes it), keeping the
// value index true.
func (st *objectStore) set(r *record, name, value string) {
	if old, ok := r.props[name]; ok {
		if old == value {
			return
		}
		list := st.byValue[name][old]
		for i, x := range list {
			if x == r {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(st.byValue[name], old)
		} else {
			st.byValue[name][old] = list
		}
	}
	if value == "" {
		delete(r.props, name)
		return
	}
	r.props[name] = value
	byVal := st.byValue[name]
	if byVal == nil {
		byVal = map[string][]*record{}
		st.byValue[name] = byVal
	}
	// Keep creation order, as listing does: records are created in id order.
	list := byVal[value]
	i := len(list)
	for i > 0 && list[i-1].created.After(r.created) {
		i--
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = r
	byVal[value] = list
}

type record struct {
	id       string
	props    map[string]string
	created  time.Time
	updated  time.Time
	archived bool
	// mergedInto is the survivor's id once the record was merged away:
	// reads of the old id answer with the survivor, writes get 404.
	mergedInto string
}

func newPortal(p Portal, loc *time.Location, now time.Time) *portal {
	pt := &portal{
		Portal:    p,
		loc:       loc,
		installed: true,
		// Realistic ids are numeric, often beyond 32 bits: clients must keep
		// them as strings.
		nextID:    int64(p.ID%1000)*1_000_000_000 + 3_000_000_001,
		objects:   map[string]*objectStore{},
		props:     defaultProperties(now),
		pipelines: defaultPipelines(now),
		links:     map[linkKey]map[string]map[int]bool{},
	}
	for _, t := range []string{"contacts", "companies", "deals", "line_items", "products"} {
		pt.objects[t] = newObjectStore()
	}
	return pt
}

func (p *portal) newID() string {
	id := p.nextID
	p.nextID += 7 // gaps, as in real portals
	return strconv.FormatInt(id, 10)
}

func (p *portal) property(objectType, name string) *Property {
	for _, pr := range p.props[objectType] {
		if pr.Name == name && !pr.Archived {
			return pr
		}
	}
	return nil
}

// isUniqueKey tells whether name identifies at most one record: contact email
// (enforced although its definition does not say hasUniqueValue) or any
// hasUniqueValue property.
func (p *portal) isUniqueKey(objectType, name string) bool {
	if objectType == "contacts" && name == "email" {
		return true
	}
	pr := p.property(objectType, name)
	return pr != nil && pr.HasUniqueValue
}

// findBy returns the live record whose property name equals value (emails
// compare case-insensitively, as HubSpot stores them lower-cased).
func (p *portal) findBy(objectType, name, value string) *record {
	st := p.objects[objectType]
	if name == "hs_object_id" || name == "" {
		r := st.byID[value]
		if r == nil || r.archived {
			return nil
		}
		return r
	}
	if name == "email" {
		value = strings.ToLower(strings.TrimSpace(value))
	}
	if value == "" {
		return nil
	}
	for _, r := range st.byValue[name][value] {
		if !r.archived {
			return r
		}
	}
	if name == "email" {
		if r := st.emailAlias[value]; r != nil && !r.archived {
			return r
		}
	}
	return nil
}

// resolve is findBy for reads: an id merged away answers with the record
// it was merged into, as HubSpot's reads do.
func (p *portal) resolve(objectType, name, value string) *record {
	if r := p.findBy(objectType, name, value); r != nil || (name != "" && name != "hs_object_id") {
		return r
	}
	st := p.objects[objectType]
	r := st.byID[value]
	for hops := 0; r != nil && r.mergedInto != "" && hops < 10; hops++ {
		r = st.byID[r.mergedInto]
	}
	if r == nil || r.archived {
		return nil
	}
	return r
}

// lastModifiedProp is the auto-maintained modification timestamp's name.
func lastModifiedProp(objectType string) string {
	if objectType == "contacts" {
		return "lastmodifieddate"
	}
	return "hs_lastmodifieddate"
}

// defaultRead lists the properties returned when a read names none.
var defaultRead = map[string][]string{
	"contacts":   {"firstname", "lastname", "email"},
	"companies":  {"name", "domain"},
	"deals":      {"dealname", "amount", "closedate", "pipeline", "dealstage"},
	"line_items": {"name", "quantity", "price", "amount", "hs_product_id"},
	"products":   {"name", "price", "hs_sku"},
}

func (p *portal) addLink(fromType, fromID, toType, toID string, typeID int) {
	k := linkKey{fromType, fromID, toType}
	if p.links[k] == nil {
		p.links[k] = map[string]map[int]bool{}
	}
	if p.links[k][toID] == nil {
		p.links[k][toID] = map[int]bool{}
	}
	p.links[k][toID][typeID] = true
}

// associate links both directions, as HubSpot does.
func (p *portal) associate(fromType, fromID, toType, toID string, typeID int) {
	p.addLink(fromType, fromID, toType, toID, typeID)
	if rev, ok := reverseType[typeID]; ok {
		p.addLink(toType, toID, fromType, fromID, rev)
	}
}

// assocType describes a HUBSPOT_DEFINED association type.
type assocType struct {
	from, to string
	primary  bool
}

// assocTypes is the HubSpot-defined type table (reference §4.2).
var assocTypes = map[int]assocType{
	279: {"contacts", "companies", false}, 1: {"contacts", "companies", true},
	280: {"companies", "contacts", false}, 2: {"companies", "contacts", true},
	3: {"deals", "contacts", false}, 4: {"contacts", "deals", false},
	341: {"deals", "companies", false}, 5: {"deals", "companies", true},
	342: {"companies", "deals", false}, 6: {"companies", "deals", true},
	19: {"deals", "line_items", false}, 20: {"line_items", "deals", false},
}

var reverseType = map[int]int{279: 280, 280: 279, 1: 2, 2: 1, 3: 4, 4: 3, 341: 342, 342: 341, 5: 6, 6: 5, 19: 20, 20: 19}

// defaultTypeID is the unlabelled type associate/default uses for a pair.
func defaultTypeID(from, to string) (int, bool) {
	for id, t := range assocTypes {
		if t.from == from && t.to == to && !t.primary {
			return id, true
		}
	}
	return 0, false
}
