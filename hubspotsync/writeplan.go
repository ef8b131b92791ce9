package hubspotsync

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// Per-property results in a write plan.
const (
	planCreate    = "create"    // the record is new: the value is sent with it
	planOverwrite = "overwrite" // Overwrite replaces HubSpot's value
	planKeep      = "keep"      // Fill if new / Fill if empty leave HubSpot's value
	planFill      = "fill"      // Fill if empty fills an empty HubSpot value
	planAppend    = "append"    // Add to list adds items
	planUnchanged = "unchanged" // HubSpot already holds the value
	planSkipped   = "skipped"   // nothing to send (no value for a new record)
)

// WritePlan is what syncing an order now would do in HubSpot, with
// HubSpot's current values read live. Nothing is written.
type WritePlan struct {
	OrderCode string          `json:"order_code"`
	HubID     int64           `json:"hub_id"`
	Problem   string          `json:"problem,omitempty"` // why the order would not be sent
	Records   []PlannedRecord `json:"records"`
	// Associations are the links the sync would make (HubSpot keeps each
	// once, so existing ones are made again harmlessly).
	Associations []PlannedAssociation `json:"associations"`
}

// PlannedRecord is one HubSpot record of the plan.
type PlannedRecord struct {
	MappingID  int64             `json:"mapping_id"`
	ObjectType string            `json:"object_type"`
	PositionID *int64            `json:"position_id,omitempty"`
	IDProperty string            `json:"id_property"`
	IDValue    string            `json:"id_value"`
	Exists     bool              `json:"exists"`
	RecordID   string            `json:"record_id,omitempty"`
	Link       string            `json:"link,omitempty"`
	Action     string            `json:"action"` // create, update, upsert, unchanged, archive, skipped
	Note       string            `json:"note,omitempty"`
	Properties []PlannedProperty `json:"properties"`
	Request    *hubspot.Request  `json:"request"` // nil when nothing is sent
}

// PlannedProperty is one property row of a planned record.
type PlannedProperty struct {
	Property string `json:"property"`
	Label    string `json:"label"`
	Mode     string `json:"mode"`
	Current  string `json:"current"`
	Send     string `json:"send"`
	Result   string `json:"result"`
}

// PlannedAssociation links two planned records.
type PlannedAssociation struct {
	From   string `json:"from"` // object type and identifier, as in the records
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// WritePlan computes an order's write plan with the event's current
// mappings: the engine's own extraction and modes, on HubSpot's records
// read live, every request body as it would be sent for this order alone.
func (p *Provider) WritePlan(ctx context.Context, eventID, orderID int64) (*WritePlan, error) {
	var row models.PretixOrder
	err := p.db.WithContext(ctx).Where("id = ? AND event_id = ?", orderID, eventID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("order_not_found", "This order is not stored for this event. Reload the orders list.")
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	// Someone waits for it: its reads go before bulk work.
	r := &run{p: p, ctx: hubspot.Urgent(ctx), eventID: eventID, byKey: map[string]*object{}, live: true, trace: "plan-"}
	o := &orderState{job: models.SyncJob{OrderID: orderID, EventID: eventID}, row: &row}
	r.orders = []*orderState{o}
	plan := &WritePlan{OrderCode: row.Code, Records: []PlannedRecord{}, Associations: []PlannedAssociation{}}
	if f := r.prepare(); f != nil {
		if f.mode == models.FailureInternal {
			return nil, apperr.Internal(errors.New(f.msg))
		}
		plan.Problem = f.msg
		return plan, nil
	}
	plan.HubID = r.conn.HubID
	r.extract()
	if o.fail != nil {
		plan.Problem = o.fail.msg
		return plan, nil
	}
	// Every record is read, those a sync upserts without a read too, to
	// show HubSpot's values.
	upsert := map[*object]bool{}
	for _, ob := range r.objects {
		upsert[ob] = r.upsertable(ob)
	}
	r.planProducts()
	all := func(*object) bool { return true }
	r.readAll(both(all, (*object).live))
	r.healLost(all)
	r.simulateAll(all)
	if o.fail != nil {
		plan.Problem = o.fail.msg
		return plan, nil
	}
	for _, c := range o.contribs {
		plan.Records = append(plan.Records, r.plannedRecord(c, upsert[c.obj]))
	}
	for _, c := range o.contribs {
		if c.obj == nil || c.archive || c.canceled {
			continue
		}
		for _, to := range c.mp.assocTo {
			for _, d := range o.contribs {
				if d.obj != nil && d.mp.idx == to && !d.archive && !d.canceled {
					plan.Associations = append(plan.Associations, PlannedAssociation{From: c.obj.subject(), To: d.obj.subject()})
				}
			}
		}
	}
	return plan, nil
}

// planProducts sets the product links from the cache or, for products not
// synced by this process yet, by reading them by SKU; a product HubSpot
// does not have yet is created when the order syncs.
func (r *run) planProducts() {
	hub := r.cl.HubID()
	ids := map[string]string{}
	var missing []string
	for _, ob := range r.objects {
		for _, c := range ob.contribs {
			if c.sku == "" {
				continue
			}
			if id, ok := r.p.products.get(productKey{hub, c.sku}, c.product); ok {
				ids[c.sku] = id
			} else if _, seen := ids[c.sku]; !seen {
				ids[c.sku] = ""
				missing = append(missing, c.sku)
			}
		}
	}
	if len(missing) > 0 {
		if res, err := r.cl.BatchRead(r.ctx, hubspot.Products, ProductKeyProperty, missing, []string{"name"}); err == nil {
			for _, sku := range missing {
				ids[sku] = res.Found[sku].ID
			}
		}
	}
	for _, ob := range r.objects {
		for _, c := range ob.contribs {
			c.linkProduct(ids[c.sku])
		}
	}
}

// plannedRecord describes one contribution's record.
func (r *run) plannedRecord(c *contrib, upsert bool) PlannedRecord {
	pr := PlannedRecord{MappingID: c.mp.m.ID, ObjectType: string(c.mp.ot), PositionID: c.posID, IDProperty: c.mp.idDef.Name,
		IDValue: c.idVal, Properties: []PlannedProperty{}}
	ob := c.obj
	if ob == nil {
		pr.Action, pr.Note = actionSkipped, "The identifier is empty for this order, so no record is written (as in pretix)."
		return pr
	}
	pr.Exists, pr.RecordID = ob.exists, ob.recordID
	if ob.exists {
		pr.Link = r.conn.RecordURL(ob.ot, ob.recordID)
	}
	if ob.fail != nil {
		pr.Action, pr.Note = actionSkipped, ob.fail.msg
		return pr
	}
	// Rows in the mapping's order, each with its mode and what it does.
	state := map[string]string{}
	for k, v := range ob.current {
		state[k] = v
	}
	for _, w := range c.writes {
		cur := state[w.def.Name]
		send := w.value
		if w.link && send == "" {
			send = "(the id of HubSpot product " + c.sku + ", created when the order syncs)"
		}
		res := planResult(w, cur, ob.exists, ob.final[w.def.Name])
		pr.Properties = append(pr.Properties, PlannedProperty{Property: w.def.Name, Label: w.def.Label, Mode: w.mode, Current: cur, Send: send, Result: res})
	}
	switch {
	case ob.archive:
		pr.Action = actionArchived
		pr.Note = "The ticket is canceled: its line item is archived."
		if !ob.exists {
			pr.Action, pr.Note = planUnchanged, "The ticket is canceled and has no line item in HubSpot."
		} else {
			pr.Request = &hubspot.Request{Method: "POST", Path: "/crm/objects/" + hubspot.APIVersion + "/" + string(ob.ot) + "/batch/archive",
				Body: map[string]any{"inputs": []map[string]string{{"id": ob.recordID}}}}
		}
	case upsert:
		pr.Action = "upsert"
		req := hubspot.UpsertRequest(ob.ot, ob.idProp, hubspot.UpsertInput{ID: ob.idVal, TraceID: "plan-1", Properties: ob.upsertProps()})
		pr.Request = &req
		if ob.exists && len(ob.changes()) == 0 {
			pr.Note = "HubSpot already holds every value; the upsert is sent anyway, batched with other orders', since it needs no read."
		}
	case !ob.exists:
		pr.Action = actionCreated
		req := hubspot.CreateRequest(ob.ot, hubspot.CreateInput{TraceID: "plan-1", Properties: ob.changes()})
		pr.Request = &req
	case len(ob.changes()) > 0:
		pr.Action = actionUpdated
		req := hubspot.UpdateRequest(ob.ot, hubspot.UpdateInput{ID: ob.recordID, TraceID: "plan-1", Properties: ob.changes()})
		pr.Request = &req
	default:
		pr.Action = planUnchanged
	}
	return pr
}

// planResult says what a row does to a record that holds cur.
func planResult(w write, cur string, exists bool, final string) string {
	switch {
	case !exists && w.value == "" && !w.link:
		return planSkipped
	case !exists:
		return planCreate
	}
	switch w.mode {
	case models.ModeOverwrite:
		if sameValue(w.def, cur, w.value) {
			return planUnchanged
		}
		return planOverwrite
	case models.ModeIfNew:
		return planKeep
	case models.ModeIfEmpty:
		if cur != "" || w.value == "" {
			if sameValue(w.def, cur, w.value) {
				return planUnchanged
			}
			return planKeep
		}
		return planFill
	case models.ModeAppend:
		if w.value == "" || sameValue(w.def, cur, final) {
			return planUnchanged
		}
		return planAppend
	}
	return planUnchanged
}
