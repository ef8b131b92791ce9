package mapping

import (
	"context"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// suggestedRows is the pretix guide's example mapping: the buyer as a
// contact, identified by the order email, with the invoice address.
var suggestedRows = []RowInput{
	{PretixField: "email", Property: "email", Mode: ModeIdentifier},
	{PretixField: "invoice_address_name_given_name", Property: "firstname", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_name_family_name", Property: "lastname", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_street", Property: "address", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_zipcode", Property: "zip", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_city", Property: "city", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_country", Property: "hs_country_region_code", Mode: models.ModeOverwrite},
	{PretixField: "invoice_address_company", Property: "company", Mode: models.ModeOverwrite},
}

// Suggestion is the suggested first mapping, offered while an event that is
// connected to HubSpot has no mappings.
type Suggestion struct {
	Available  bool            `json:"available"`
	SourceType string          `json:"source_type"`
	TargetType string          `json:"target_type"`
	Rows       []SuggestionRow `json:"rows"`
}

// SuggestionRow is one row of the suggestion with display texts.
type SuggestionRow struct {
	PretixField   string `json:"pretix_field"`
	PretixLabel   string `json:"pretix_label"`
	Property      string `json:"property"`
	PropertyLabel string `json:"property_label"`
	Mode          string `json:"mode"`
	ModeLabel     string `json:"mode_label"`
}

// suggestion keeps the rows whose field and property exist here (a portal
// may lack a property; an event's name scheme decides the name fields).
func (s *Service) suggestion(ctx context.Context, ed *eventData) ([]RowInput, []SuggestionRow, error) {
	sc, err := s.portal(ctx, ed.ev.ID)
	if err != nil {
		return nil, nil, err
	}
	props, err := sc.properties(ctx, hubspot.Contacts)
	if err != nil {
		return nil, nil, err
	}
	var rows []RowInput
	var view []SuggestionRow
	for _, r := range suggestedRows {
		g, err := ed.res.Getter(r.PretixField, fields.ObjectOrder)
		p := props[r.Property]
		if err != nil || p == nil || !p.Writable() {
			continue
		}
		rows = append(rows, r)
		view = append(view, SuggestionRow{PretixField: r.PretixField, PretixLabel: g.Field().Label, Property: r.Property,
			PropertyLabel: p.Label, Mode: r.Mode, ModeLabel: ModeLabel(r.Mode)})
	}
	if len(rows) == 0 || rows[0].Mode != ModeIdentifier {
		return nil, nil, nil
	}
	return rows, view, nil
}

func (s *Service) hasMappings(ctx context.Context, db *gorm.DB, eventID int64) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&models.ObjectMapping{}).Where("event_id = ? AND provider = ?", eventID, hubspotsync.ProviderName).Count(&n).Error; err != nil {
		return false, apperr.Internal(err)
	}
	return n > 0, nil
}

// Suggest returns the suggested mapping; Available is false once the event
// has mappings or while it is not connected to HubSpot.
func (s *Service) Suggest(ctx context.Context, eventID int64) (*Suggestion, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := &Suggestion{SourceType: string(fields.ObjectOrder), TargetType: string(hubspot.Contacts), Rows: []SuggestionRow{}}
	if has, err := s.hasMappings(ctx, s.db, eventID); err != nil || has {
		return out, err
	}
	_, view, err := s.suggestion(ctx, ed)
	if err != nil {
		// Not connected (or HubSpot unreachable): nothing to suggest yet.
		if apperr.KindOf(err) == apperr.KindInternal {
			return nil, err
		}
		return out, nil
	}
	if view != nil {
		out.Available, out.Rows = true, view
	}
	return out, nil
}

// AcceptSuggestion creates the suggested mapping in one step.
func (s *Service) AcceptSuggestion(ctx context.Context, eventID int64) (*Mapping, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	rows, _, err := s.suggestion(ctx, ed)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		return nil, apperr.Invalid("suggestion_unavailable", "The suggested mapping does not fit this event or HubSpot account; add a mapping yourself.")
	}
	var id int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if has, err := s.hasMappings(ctx, tx, eventID); err != nil {
			return err
		} else if has {
			return apperr.New(apperr.KindConflict, "mappings_exist", "This event already has mappings, so the suggestion is no longer offered. Reload the page.")
		}
		now := s.clock.Now().UTC()
		om := models.ObjectMapping{EventID: eventID, Provider: hubspotsync.ProviderName, Position: 0, SourceType: string(fields.ObjectOrder),
			TargetType: string(hubspot.Contacts), IDField: rows[0].PretixField, IDProperty: rows[0].Property, AssociateWithJSON: "[]",
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&om).Error; err != nil {
			return apperr.Internal(err)
		}
		id = om.ID
		return saveRows(tx, &om, fields.ObjectOrder, cleanRows(ed.res, rows), nil, now)
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	return s.Get(ctx, eventID, id)
}
