package mapping

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// The suggested deal mapping: each order a deal in the portal's default
// pipeline whose stage follows the order's status, with its amount, payment
// date and refunds, and optionally a line item per position linked to the
// HubSpot product of its pretix product. pretix writes a deal once; this
// suggestion is meant to be kept up to date (the handler turns the re-sync
// triggers on when asked). The currency is written only where the
// account has the event's currency: HubSpot's currency properties accept
// only the account's currencies.

// Custom properties the suggestion creates where the portal lacks them.
const (
	dealKeyProperty     = "pretix_order_key"
	lineItemKeyProperty = "pretix_line_item_key"
	refundedProperty    = "pretix_refunded_amount"
)

// DealSuggestion is what the "Suggested deal mapping" card shows.
type DealSuggestion struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why it is not available
	Pipeline  string `json:"pipeline"`
	// Stages maps every pretix order status to a stage of the pipeline.
	Stages    []StageChoice   `json:"stages"`
	Rows      []SuggestionRow `json:"rows"`
	LineItems Offer           `json:"line_items"`
	Products  Offer           `json:"products"`
}

// StageChoice is one pretix order status and the deal stage it becomes.
type StageChoice struct {
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Stage       string `json:"stage"`
	StageLabel  string `json:"stage_label"`
}

// Offer is an optional part of the suggestion and whether this portal's
// connection allows it.
type Offer struct {
	Available bool            `json:"available"`
	Reason    string          `json:"reason,omitempty"`
	Rows      []SuggestionRow `json:"rows,omitempty"`
}

// DealSuggestionInput is what the user accepts.
type DealSuggestionInput struct {
	LineItems    bool `json:"line_items"`
	Products     bool `json:"products"`
	KeepUpToDate bool `json:"keep_up_to_date"`
}

// dealPlan is the suggestion computed for one event and portal.
type dealPlan struct {
	view      DealSuggestion
	deal      []RowInput
	lineItems []RowInput
	product   RowInput
	create    []hubspot.PropertySpec // deal properties to create (the refunded amount)
}

// candidate is a suggested row kept when its field and property exist.
type candidate struct {
	row      RowInput
	optional bool // left out when the portal lacks the property
}

func dealCandidates(stages map[string]string) []candidate {
	return []candidate{
		{RowInput{PretixField: "event_order_code", Property: dealKeyProperty, Mode: ModeIdentifier}, false},
		{RowInput{PretixField: "event_order_code", Property: "dealname", Mode: models.ModeOverwrite}, false},
		{RowInput{PretixField: "order_total", Property: "amount", Mode: models.ModeOverwrite}, false},
		{RowInput{PretixField: "order_status", Property: "dealstage", Mode: models.ModeOverwrite, ValueMap: stages}, false},
		{RowInput{PretixField: "payment_date", Property: "closedate", Mode: models.ModeOverwrite}, true},
		{RowInput{PretixField: "order_refunded_amount", Property: refundedProperty, Mode: models.ModeOverwrite}, true},
		{RowInput{PretixField: "event_currency", Property: "deal_currency_code", Mode: models.ModeOverwrite}, true},
	}
}

var lineItemCandidates = []candidate{
	{RowInput{PretixField: "event_ticket_id", Property: lineItemKeyProperty, Mode: ModeIdentifier}, false},
	{RowInput{PretixField: "product", Property: "name", Mode: models.ModeOverwrite}, false},
	{RowInput{PretixField: "ticket_price", Property: "price", Mode: models.ModeOverwrite}, false},
	{RowInput{PretixField: "ticket_quantity", Property: "quantity", Mode: models.ModeOverwrite}, false},
	{RowInput{PretixField: "product_sku", Property: "hs_sku", Mode: models.ModeOverwrite}, true},
	{RowInput{PretixField: "ticket_tax_rate", Property: "hs_tax_rate", Mode: models.ModeOverwrite}, true},
	{RowInput{PretixField: "event_currency", Property: "hs_line_item_currency_code", Mode: models.ModeOverwrite}, true},
}

var productRow = RowInput{PretixField: hubspotsync.ProductSKUField, Property: hubspotsync.ProductLinkProperty, Mode: models.ModeOverwrite}

// defaultPipeline is the portal's first pipeline (HubSpot's default comes
// first), and its stages for paid, pending and lost orders.
func defaultPipeline(pls []hubspot.Pipeline) (pl *hubspot.Pipeline, won, open, lost *hubspot.Stage) {
	var live []hubspot.Pipeline
	for _, p := range pls {
		if !p.Archived {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil, nil, nil, nil
	}
	sort.SliceStable(live, func(i, j int) bool {
		if (live[i].ID == "default") != (live[j].ID == "default") {
			return live[i].ID == "default"
		}
		return live[i].DisplayOrder < live[j].DisplayOrder
	})
	pl = &live[0]
	stages := append([]hubspot.Stage(nil), pl.Stages...)
	sort.SliceStable(stages, func(i, j int) bool { return stages[i].DisplayOrder < stages[j].DisplayOrder })
	for i := range stages {
		st := &stages[i]
		switch {
		case st.Archived:
		case st.IsClosed && st.Probability >= 1 && won == nil:
			won = st
		case st.IsClosed && st.Probability <= 0 && lost == nil:
			lost = st
		case !st.IsClosed && open == nil:
			open = st
		}
	}
	return pl, won, open, lost
}

func hasScope(conn *hubspot.Connection, scopes ...string) bool {
	if conn == nil {
		return false
	}
	for _, want := range scopes {
		found := false
		for _, s := range conn.Scopes {
			found = found || s == want
		}
		if !found {
			return false
		}
	}
	return true
}

// planDeals computes the suggestion; a nil plan with a reason when it
// cannot work here.
func (s *Service) planDeals(ctx context.Context, ed *eventData, sc *schema) (*dealPlan, string, error) {
	pls, err := sc.client.Pipelines(ctx, hubspot.Deals)
	if err != nil {
		return nil, "", err
	}
	pl, won, open, lost := defaultPipeline(pls)
	if pl == nil || won == nil || open == nil || lost == nil {
		return nil, "The HubSpot account's default deal pipeline needs an open stage, a closed won stage and a closed lost stage. Add them in HubSpot (Settings → Objects → Deals → Pipelines), or add a deal mapping yourself.", nil
	}
	plan := &dealPlan{view: DealSuggestion{Pipeline: pl.Label}}
	byStatus := map[string]*hubspot.Stage{"n": open, "p": won, "e": lost, "c": lost}
	stages := map[string]string{}
	if f, ok := ed.res.Field("order_status"); ok {
		for _, o := range f.Options {
			st := byStatus[o.Value]
			stages[o.Value] = st.ID
			plan.view.Stages = append(plan.view.Stages, StageChoice{Status: o.Value, StatusLabel: o.Label, Stage: st.ID, StageLabel: st.Label})
		}
	}
	dealProps, err := sc.properties(ctx, hubspot.Deals)
	if err != nil {
		return nil, "", err
	}
	canCreateDeal := sc.conn != nil && sc.conn.CanCreateProperties(hubspot.Deals)
	if dealProps[dealKeyProperty] == nil && !canCreateDeal {
		return nil, manualUniqueHelp(hubspot.Deals, dealKeyProperty), nil
	}
	if dealProps[refundedProperty] == nil && canCreateDeal {
		plan.create = append(plan.create, hubspot.PropertySpec{Name: refundedProperty, Label: "Refunded amount (pretix)",
			Description: "Written by pretix-hubspot: the amount pretix has refunded for the order.", Type: "number", FieldType: "number"})
	}
	exists := func(props map[string]*hubspot.Property, name string, created ...string) bool {
		for _, c := range created {
			if c == name {
				return true
			}
		}
		p := props[name]
		if p == nil || hubspotsync.PropertyRule("", name, p) != "" {
			return false
		}
		if p.Type == "enumeration" && !p.ExternalOptions {
			// Only currency rows here: kept when the account has the event's.
			for _, o := range p.Options {
				if o.Value == ed.res.Event().Currency {
					return true
				}
			}
			return false
		}
		return true
	}
	planned := []string{dealKeyProperty}
	for _, c := range plan.create {
		planned = append(planned, c.Name)
	}
	var view []SuggestionRow
	if plan.deal, view = s.keep(ed, fields.ObjectOrder, dealCandidates(stages), dealProps, func(n string) bool { return exists(dealProps, n, planned...) }); plan.deal == nil {
		return nil, "The HubSpot account lacks the standard deal properties (deal name, amount, deal stage).", nil
	}
	plan.view.Rows = view

	switch {
	case !hasScope(sc.conn, hubspot.ScopeLineItemsRead, hubspot.ScopeLineItemsWrite):
		plan.view.LineItems.Reason = "This HubSpot connection may not write line items. Reconnect HubSpot and grant access to line items to add them."
	default:
		liProps, err := sc.properties(ctx, hubspot.LineItems)
		if err != nil {
			return nil, "", err
		}
		if liProps[lineItemKeyProperty] == nil && !(sc.conn.CanCreateProperties(hubspot.LineItems)) {
			plan.view.LineItems.Reason = manualUniqueHelp(hubspot.LineItems, lineItemKeyProperty)
			break
		}
		plan.lineItems, view = s.keep(ed, fields.ObjectPosition, lineItemCandidates, liProps, func(n string) bool { return exists(liProps, n, lineItemKeyProperty) })
		if plan.lineItems == nil {
			plan.view.LineItems.Reason = "The HubSpot account lacks the standard line item properties (name, price, quantity)."
			break
		}
		plan.view.LineItems.Available, plan.view.LineItems.Rows = true, view
		if !hasScope(sc.conn, hubspot.ScopeProducts) {
			plan.view.Products.Reason = "This HubSpot connection may not write products (the e-commerce scope). Reconnect HubSpot and grant it to link line items to products."
			break
		}
		if p := liProps[hubspotsync.ProductLinkProperty]; p == nil || !p.Writable() {
			plan.view.Products.Reason = "The HubSpot account has no writable line item property “Product ID”."
			break
		}
		plan.product = productRow
		g, _ := ed.res.Getter(productRow.PretixField, fields.ObjectPosition)
		plan.view.Products = Offer{Available: true, Rows: []SuggestionRow{{PretixField: productRow.PretixField, PretixLabel: g.Field().Label,
			Property: productRow.Property, PropertyLabel: liProps[productRow.Property].Label, Mode: productRow.Mode, ModeLabel: ModeLabel(productRow.Mode)}}}
	}
	plan.view.Available = true
	return plan, "", nil
}

// keep returns the candidates whose field exists in the event and whose
// property exists (or will be created); nil when a required one is missing.
func (s *Service) keep(ed *eventData, src fields.ObjectType, cands []candidate, props map[string]*hubspot.Property, exists func(string) bool) ([]RowInput, []SuggestionRow) {
	var rows []RowInput
	var view []SuggestionRow
	for _, c := range cands {
		g, err := ed.res.Getter(c.row.PretixField, src)
		if err != nil || !exists(c.row.Property) {
			if c.optional {
				continue
			}
			return nil, nil
		}
		label := c.row.Property
		if p := props[c.row.Property]; p != nil {
			label = p.Label
		}
		rows = append(rows, c.row)
		view = append(view, SuggestionRow{PretixField: c.row.PretixField, PretixLabel: g.Field().Label, Property: c.row.Property,
			PropertyLabel: label, Mode: c.row.Mode, ModeLabel: ModeLabel(c.row.Mode)})
	}
	return rows, view
}

func (s *Service) hasDealMapping(ctx context.Context, db *gorm.DB, eventID int64) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&models.ObjectMapping{}).
		Where("event_id = ? AND provider = ? AND target_type = ?", eventID, hubspotsync.ProviderName, string(hubspot.Deals)).
		Count(&n).Error; err != nil {
		return false, apperr.Internal(err)
	}
	return n > 0, nil
}

// SuggestDeals returns the suggested deal mapping; not available once the
// event has a deal mapping, while it is not connected, or when the portal
// cannot take it (the reason says why).
func (s *Service) SuggestDeals(ctx context.Context, eventID int64) (*DealSuggestion, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := &DealSuggestion{Stages: []StageChoice{}, Rows: []SuggestionRow{}}
	if has, err := s.hasDealMapping(ctx, s.db, eventID); err != nil {
		return nil, err
	} else if has {
		out.Reason = "This event already has a deal mapping."
		return out, nil
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindInternal {
			return nil, err
		}
		out.Reason = "Connect a HubSpot account first."
		return out, nil
	}
	plan, reason, err := s.planDeals(ctx, ed, sc)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		out.Reason = reason
		return out, nil
	}
	return &plan.view, nil
}

// AcceptDeals creates the missing properties and the deal mapping (after
// the event's contact and company mappings, associated with them), and with
// in.LineItems the line item mapping associated with it. It returns the
// event's mappings.
func (s *Service) AcceptDeals(ctx context.Context, eventID int64, in DealSuggestionInput) ([]Mapping, error) {
	ed, err := s.loadEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if has, err := s.hasDealMapping(ctx, s.db, eventID); err != nil {
		return nil, err
	} else if has {
		return nil, apperr.New(apperr.KindConflict, "deal_mapping_exists", "This event already has a deal mapping, so the suggestion is no longer offered. Reload the page.")
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		return nil, err
	}
	plan, reason, err := s.planDeals(ctx, ed, sc)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		return nil, apperr.Invalid("suggestion_unavailable", reason)
	}
	if in.LineItems && !plan.view.LineItems.Available {
		return nil, apperr.Invalid("line_items_unavailable", plan.view.LineItems.Reason).WithField("line_items", plan.view.LineItems.Reason)
	}
	if in.Products && (!in.LineItems || !plan.view.Products.Available) {
		msg := plan.view.Products.Reason
		if !in.LineItems {
			msg = "Products are linked from line items: choose line items too."
		}
		return nil, apperr.Invalid("products_unavailable", msg).WithField("products", msg)
	}
	if err := s.createDealProperties(ctx, sc, plan, in.LineItems); err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		all, err := loadAll(ctx, tx, eventID)
		if err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		add := func(pos int, src fields.ObjectType, tgt hubspot.ObjectType, rows []RowInput, assoc []int64) (int64, error) {
			om := models.ObjectMapping{EventID: eventID, Provider: hubspotsync.ProviderName, Position: pos, SourceType: string(src),
				TargetType: string(tgt), IDField: rows[0].PretixField, IDProperty: rows[0].Property, AssociateWithJSON: "[]",
				CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&om).Error; err != nil {
				return 0, apperr.Internal(err)
			}
			return om.ID, saveRows(tx, &om, src, cleanRows(ed.res, rows), assoc, now)
		}
		deal, err := add(len(all), fields.ObjectOrder, hubspot.Deals, plan.deal, defaultAssociations(all, hubspot.Deals))
		if err != nil || !in.LineItems {
			return err
		}
		rows := plan.lineItems
		if in.Products {
			rows = append(append([]RowInput(nil), rows...), plan.product)
		}
		_, err = add(len(all)+1, fields.ObjectPosition, hubspot.LineItems, rows, []int64{deal})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.onChange(ctx, eventID)
	return s.List(ctx, eventID)
}

// createDealProperties creates the identifier properties and the refunded
// amount where the portal lacks them.
func (s *Service) createDealProperties(ctx context.Context, sc *schema, plan *dealPlan, lineItems bool) error {
	keys := []struct {
		ot          hubspot.ObjectType
		name, label string
	}{{hubspot.Deals, dealKeyProperty, "pretix order"}}
	if lineItems {
		keys = append(keys, struct {
			ot          hubspot.ObjectType
			name, label string
		}{hubspot.LineItems, lineItemKeyProperty, "pretix ticket"})
	}
	for _, k := range keys {
		if _, err := sc.client.EnsureUniqueProperty(ctx, k.ot, k.name, k.label,
			"Written by pretix-hubspot: identifies the record of a pretix order. Values must be unique."); err != nil {
			var he *hubspot.Error
			if errors.As(err, &he) && he.Class == hubspot.ClassConfig && he.Status == 0 {
				return apperr.Invalid("property_exists_not_unique", fmt.Sprintf(
					"HubSpot already has a %s property %q that does not require unique values, so it cannot identify records. Delete or rename it in HubSpot, or add the mapping yourself.",
					hubspotsync.SingularLabel(k.ot), k.name))
			}
			return err
		}
	}
	for _, spec := range plan.create {
		if _, err := sc.client.CreateProperty(ctx, hubspot.Deals, spec); err != nil {
			var he *hubspot.Error
			if errors.As(err, &he) && he.Status == 409 {
				continue // created meanwhile
			}
			return err
		}
	}
	return nil
}
