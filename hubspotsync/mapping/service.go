package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// Portals finds the HubSpot portal an event writes to. *hubspot.Service
// implements it.
type Portals interface {
	ClientForEvent(ctx context.Context, eventID int64) (*hubspot.Client, *hubspot.Connection, error)
}

// ConvertFunc turns a pretix value into what a HubSpot property receives
// (hubspotsync.Convert); the preview shows its result.
type ConvertFunc func(prop hubspot.Property, v fields.Value, valueMap map[string]string) (string, error)

// Options configure a Service. DB and Portals are required.
type Options struct {
	DB      *gorm.DB
	Portals Portals
	Convert ConvertFunc // without it the preview shows the pretix values only
	Clock   clockwork.Clock
	// OnChange (may be nil) is told after an event's mappings or its
	// portal's properties changed, so orders waiting for the setup run.
	OnChange func(ctx context.Context, eventID int64)
	// EmptySample is how many recent orders are read to tell whether an
	// Overwrite row's pretix field is often empty; default 200.
	EmptySample int
}

// Service manages the mappings of every event.
type Service struct {
	db       *gorm.DB
	portals  Portals
	convert  ConvertFunc
	clock    clockwork.Clock
	sample   int
	onChange func(ctx context.Context, eventID int64)
}

// NewService builds a Service.
func NewService(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.EmptySample <= 0 {
		o.EmptySample = 200
	}
	if o.OnChange == nil {
		o.OnChange = func(context.Context, int64) {}
	}
	return &Service{db: o.DB, portals: o.Portals, convert: o.Convert, clock: o.Clock, sample: o.EmptySample, onChange: o.OnChange}
}

// eventData is an event with its field catalogue.
type eventData struct {
	ev  *models.PretixEvent
	res *fields.Resolver
}

func (s *Service) loadEvent(ctx context.Context, eventID int64) (*eventData, error) {
	var ev models.PretixEvent
	err := s.db.WithContext(ctx).Take(&ev, eventID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("event_not_found", "This event does not exist (any more). Refresh the organizer's event list.")
	}
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("load event %d: %w", eventID, err))
	}
	info, err := fields.EventInfoFor(&ev)
	if err != nil {
		return nil, err
	}
	return &eventData{ev: &ev, res: fields.NewResolver(info)}, nil
}

// Catalogue is the pretix field picker's content for one object type.
type Catalogue struct {
	ObjectType string       `json:"object_type"`
	Groups     []FieldGroup `json:"groups"`
}

// FieldGroup is one category of fields (an optgroup of the picker).
type FieldGroup struct {
	Category string         `json:"category"`
	Label    string         `json:"label"`
	Fields   []fields.Field `json:"fields"`
}

// Catalogue lists the event's pretix fields a mapping of the object type
// can read, grouped by category in picker order (deprecated ones flagged).
func (s *Service) Catalogue(ctx context.Context, eventID int64, ot fields.ObjectType) (*Catalogue, error) {
	if !ot.Valid() {
		return nil, apperr.Invalid("object_type_invalid", fmt.Sprintf("%q is not a pretix object type; use Order or OrderPosition.", ot)).
			WithField("object_type", "Choose Order or Order position.")
	}
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := &Catalogue{ObjectType: string(ot), Groups: []FieldGroup{}}
	for _, f := range fields.ForObject(ed.res.Fields(), ot) {
		if n := len(out.Groups); n == 0 || out.Groups[n-1].Category != string(f.Category) {
			out.Groups = append(out.Groups, FieldGroup{Category: string(f.Category), Label: f.Category.Label()})
		}
		g := &out.Groups[len(out.Groups)-1]
		g.Fields = append(g.Fields, f)
	}
	return out, nil
}

// schema is the portal's property definitions per object type, loaded once
// per request.
type schema struct {
	client *hubspot.Client
	conn   *hubspot.Connection
	props  map[hubspot.ObjectType]map[string]*hubspot.Property
	// external holds the choices of properties whose options HubSpot keeps
	// elsewhere (pipelines, stages), by object type and property name.
	external map[string][]hubspot.Option
}

func (s *Service) portal(ctx context.Context, eventID int64) (*schema, error) {
	if s.portals == nil {
		return nil, apperr.New(apperr.KindUnavailable, "hubspot_not_configured", "HubSpot is not set up in this installation.")
	}
	c, conn, err := s.portals.ClientForEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &schema{client: c, conn: conn, props: map[hubspot.ObjectType]map[string]*hubspot.Property{}, external: map[string][]hubspot.Option{}}, nil
}

// choices returns the values a property of ot accepts: its options, or for
// pipelines and deal stages those of the portal's pipelines.
func (sc *schema) choices(ctx context.Context, ot hubspot.ObjectType, p *hubspot.Property) ([]hubspot.Option, error) {
	if !p.ExternalOptions || len(p.Options) > 0 {
		return p.Options, nil
	}
	key := string(ot) + "/" + p.Name
	if opts, ok := sc.external[key]; ok {
		return opts, nil
	}
	opts, err := externalOptions(ctx, sc.client, ot, p)
	if err != nil {
		return nil, err
	}
	sc.external[key] = opts
	return opts, nil
}

// properties returns the definitions of ot by name.
func (sc *schema) properties(ctx context.Context, ot hubspot.ObjectType) (map[string]*hubspot.Property, error) {
	if m, ok := sc.props[ot]; ok {
		return m, nil
	}
	list, err := sc.client.Properties(ctx, ot)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*hubspot.Property, len(list))
	for i := range list {
		m[list[i].Name] = &list[i]
	}
	sc.props[ot] = m
	return m, nil
}

// PropertyList is the portal's property definitions of one object type as
// the HubSpot field picker needs them.
type PropertyList struct {
	ObjectType          string     `json:"object_type"`
	Properties          []Property `json:"properties"`
	CanCreateProperties bool       `json:"can_create_properties"`
	HubID               int64      `json:"hub_id"`
}

// Property is one HubSpot property in the picker.
type Property struct {
	Name        string           `json:"name"`
	Label       string           `json:"label"`
	Type        string           `json:"type"`
	FieldType   string           `json:"field_type"`
	Group       string           `json:"group"`
	Description string           `json:"description,omitempty"`
	Options     []hubspot.Option `json:"options,omitempty"`
	Unique      bool             `json:"unique"`
	Writable    bool             `json:"writable"`
	Calculated  bool             `json:"calculated,omitempty"`
	MultiSelect bool             `json:"multi_select,omitempty"`
	// PickerLabel is "Label (name | type)", as the pretix guide shows it.
	PickerLabel string `json:"picker_label"`
}

func toProperty(ot hubspot.ObjectType, p *hubspot.Property) Property {
	opts := make([]hubspot.Option, 0, len(p.Options))
	for _, o := range p.Options {
		if !o.Hidden {
			opts = append(opts, o)
		}
	}
	return Property{Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType, Group: p.GroupName,
		Description: p.Description, Options: opts, Unique: hubspot.IsUniqueKey(ot, *p), Writable: p.Writable(),
		Calculated: p.Calculated, MultiSelect: p.MultiSelect(), PickerLabel: pickerLabel(p)}
}

func pickerLabel(p *hubspot.Property) string {
	return fmt.Sprintf("%s (%s | %s)", p.Label, p.Name, p.Type)
}

// Properties lists the portal's properties of an object type (archived ones
// left out); refresh bypasses the cache, e.g. after creating a property in
// HubSpot.
func (s *Service) Properties(ctx context.Context, eventID int64, objectType string, refresh bool) (*PropertyList, error) {
	ot, err := parseTarget(objectType, "object_type")
	if err != nil {
		return nil, err
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var list []hubspot.Property
	if refresh {
		list, err = sc.client.RefreshProperties(ctx, ot)
	} else {
		list, err = sc.client.Properties(ctx, ot)
	}
	if err != nil {
		return nil, err
	}
	out := &PropertyList{ObjectType: string(ot), Properties: make([]Property, 0, len(list)),
		CanCreateProperties: sc.conn != nil && sc.conn.CanCreateProperties(ot), HubID: sc.client.HubID()}
	for i := range list {
		if list[i].Archived || list[i].Hidden {
			continue
		}
		out.Properties = append(out.Properties, toProperty(ot, &list[i]))
	}
	return out, nil
}

// CreateUniqueProperty creates (or finds) a single-line text property with
// unique values, for identifying deals or companies by a pretix field.
func (s *Service) CreateUniqueProperty(ctx context.Context, eventID int64, objectType, name, label string) (*Property, error) {
	ot, err := parseTarget(objectType, "object_type")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apperr.Invalid("property_name_missing", "Enter the internal name of the property to create, e.g. pretix_order_id.").WithField("name", "Required.")
	}
	if label == "" {
		label = name
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if sc.conn != nil && !sc.conn.CanCreateProperties(ot) {
		return nil, apperr.New(apperr.KindForbidden, "hubspot_cannot_create_properties", manualUniqueHelp(ot, name))
	}
	p, err := sc.client.EnsureUniqueProperty(ctx, ot, name, label,
		"Written by pretix-hubspot: identifies the record of a pretix order. Values must be unique.")
	if err != nil {
		var he *hubspot.Error
		if errors.As(err, &he) && he.Class == hubspot.ClassConfig && he.Status == 0 {
			// Exists without unique values: HubSpot cannot change that.
			return nil, apperr.Invalid("property_exists_not_unique", fmt.Sprintf(
				"HubSpot already has a %s property %q that does not require unique values, and HubSpot cannot make an existing property unique. Enter another name, or delete that property in HubSpot first.",
				hubspotsync.TargetLabel(ot), name)).WithField("name", "Exists without unique values.")
		}
		return nil, err
	}
	s.onChange(ctx, eventID)
	out := toProperty(ot, p)
	return &out, nil
}

func manualUniqueHelp(ot hubspot.ObjectType, name string) string {
	return fmt.Sprintf("This HubSpot connection may not create properties. Create it in HubSpot: Settings → Properties → %s properties → Create property, "+
		"give it the internal name %q, choose the field type \"Single-line text\" and tick \"Require unique values for this property\". "+
		"Then refresh the property list here and pick it.", hubspotsync.SingularLabel(ot), name)
}
