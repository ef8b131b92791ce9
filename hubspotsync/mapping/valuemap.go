package mapping

import (
	"context"
	"fmt"
	"strings"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
)

// PrefillValueMap completes a value map for a choice field: every pretix
// option without an entry gets the HubSpot option whose value or label
// equals the option's identifier or text, ignoring case and surrounding
// spaces. Existing entries are kept; options without a match stay out.
func PrefillValueMap(f fields.Field, p hubspot.Property, existing map[string]string) map[string]string {
	out := make(map[string]string, len(f.Options))
	for k, v := range existing {
		if v != "" {
			out[k] = v
		}
	}
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	byValue := map[string]string{}
	byLabel := map[string]string{}
	for _, o := range p.Options {
		if o.Hidden {
			continue
		}
		if k := norm(o.Value); k != "" && byValue[k] == "" {
			byValue[k] = o.Value
		}
		if k := norm(o.Label); k != "" && byLabel[k] == "" {
			byLabel[k] = o.Value
		}
	}
	for _, o := range f.Options {
		if out[o.Value] != "" {
			continue
		}
		// Most specific first: identifier to value, then text to label,
		// then the cross pairs.
		for _, v := range []string{byValue[norm(o.Value)], byLabel[norm(o.Label)], byLabel[norm(o.Value)], byValue[norm(o.Label)]} {
			if v != "" {
				out[o.Value] = v
				break
			}
		}
	}
	return out
}

// ValueMapInput asks for the value mapping dialog of one row.
type ValueMapInput struct {
	SourceType  string            `json:"source_type"`
	TargetType  string            `json:"target_type"`
	PretixField string            `json:"pretix_field"`
	Property    string            `json:"property"`
	ValueMap    map[string]string `json:"value_map"`
}

// ValueMapDialog is what the "Edit value mapping" dialog shows: every pretix
// option with its HubSpot value (pre-filled where they match) and the
// property's options to choose from.
type ValueMapDialog struct {
	Field    fields.Field     `json:"field"`
	Property Property         `json:"property"`
	Entries  []ValueMapEntry  `json:"entries"`
	Options  []hubspot.Option `json:"options"`
	// FreeText is true when the property takes any text (no options).
	FreeText bool `json:"free_text"`
}

// ValueMapEntry is one pretix option and the HubSpot value it becomes.
type ValueMapEntry struct {
	PretixValue  string `json:"pretix_value"`
	PretixLabel  string `json:"pretix_label"`
	HubSpotValue string `json:"hubspot_value"`
	Prefilled    bool   `json:"prefilled"` // matched automatically, not saved yet
}

// ValueMap prepares the value mapping dialog of a row.
func (s *Service) ValueMap(ctx context.Context, eventID int64, in ValueMapInput) (*ValueMapDialog, error) {
	src, err := parseSource(in.SourceType, "source_type")
	if err != nil {
		return nil, err
	}
	tgt, err := parseTarget(in.TargetType, "target_type")
	if err != nil {
		return nil, err
	}
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	g, err := ed.res.Getter(in.PretixField, src)
	if err != nil {
		return nil, err
	}
	f := g.Field()
	if !f.Type.IsChoice() || len(f.Options) == 0 {
		return nil, apperr.Invalid("value_map_not_applicable", fmt.Sprintf("“%s” is not a choice field, so it has no options to map.", f.Label)).
			WithField("pretix_field", "Not a choice field.")
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		return nil, err
	}
	props, err := sc.properties(ctx, tgt)
	if err != nil {
		return nil, err
	}
	p := props[in.Property]
	if p == nil {
		return nil, apperr.Invalid("property_unknown", fmt.Sprintf("HubSpot has no %s property %q. Choose the HubSpot property first.", strings.ToLower(hubspotsync.SingularLabel(tgt)), in.Property)).
			WithField("property", "Unknown property.")
	}
	prop := *p
	// Pipelines and their stages live outside the property definition;
	// other external lists (owners) are typed in as ids.
	if prop.Options, err = sc.choices(ctx, tgt, p); err != nil {
		return nil, err
	}
	filled := PrefillValueMap(f, prop, in.ValueMap)
	d := &ValueMapDialog{Field: f, Property: toProperty(tgt, &prop), Entries: make([]ValueMapEntry, 0, len(f.Options)),
		FreeText: (prop.Type != "enumeration" && prop.Type != "bool") || len(prop.Options) == 0}
	d.Options = d.Property.Options
	for _, o := range f.Options {
		v := filled[o.Value]
		d.Entries = append(d.Entries, ValueMapEntry{PretixValue: o.Value, PretixLabel: o.Label, HubSpotValue: v,
			Prefilled: v != "" && in.ValueMap[o.Value] == ""})
	}
	return d, nil
}

// externalOptions lists the choices of a property whose options HubSpot
// keeps elsewhere: deal pipelines, or their stages ("Pipeline: Stage").
func externalOptions(ctx context.Context, c *hubspot.Client, ot hubspot.ObjectType, p *hubspot.Property) ([]hubspot.Option, error) {
	if p.ReferencedObjectType != "PIPELINE" && p.ReferencedObjectType != "PIPELINE_STAGE" {
		return nil, nil
	}
	pls, err := c.Pipelines(ctx, ot)
	if err != nil {
		return nil, err
	}
	var out []hubspot.Option
	for _, pl := range pls {
		if pl.Archived {
			continue
		}
		if p.ReferencedObjectType == "PIPELINE" {
			out = append(out, hubspot.Option{Label: pl.Label, Value: pl.ID, DisplayOrder: pl.DisplayOrder})
			continue
		}
		for _, st := range pl.Stages {
			if !st.Archived {
				out = append(out, hubspot.Option{Label: pl.Label + ": " + st.Label, Value: st.ID, DisplayOrder: st.DisplayOrder})
			}
		}
	}
	return out, nil
}
