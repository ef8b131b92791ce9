package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// PreviewInput picks the order to preview. Rows and SourceType, when given,
// preview the editor's unsaved table instead of the saved one.
type PreviewInput struct {
	OrderCode  string     `json:"order_code"`
	SourceType string     `json:"source_type,omitempty"`
	Rows       []RowInput `json:"rows,omitempty"`
}

// Preview shows, for every object one order produces, what each row reads
// from pretix and what would be sent to HubSpot.
type Preview struct {
	OrderCode string          `json:"order_code"`
	Objects   []PreviewObject `json:"objects"`
}

// PreviewObject is one HubSpot record the order would write.
type PreviewObject struct {
	Label   string       `json:"label"`   // "Order ABC12" or "Ticket ABC12-1"
	Skipped string       `json:"skipped"` // why nothing would be written
	Rows    []PreviewRow `json:"rows"`
}

// PreviewRow is one row of the mapping applied to one object.
type PreviewRow struct {
	PretixField string `json:"pretix_field"`
	PretixLabel string `json:"pretix_label"`
	Property    string `json:"property"`
	Mode        string `json:"mode"`
	ModeLabel   string `json:"mode_label"`
	PretixValue string `json:"pretix_value"` // for people, e.g. "Paid (p)"
	Empty       bool   `json:"empty"`
	Sent        string `json:"sent"` // the value HubSpot would receive
	// Send is false when the row writes nothing for this object (empty
	// value in a fill mode, or an error).
	Send  bool   `json:"send"`
	Note  string `json:"note,omitempty"`
	Error string `json:"error,omitempty"`
}

// Preview applies a mapping to one stored order without sending anything.
// Modes are shown as rules (Fill if empty depends on HubSpot's current
// value, which the preview does not read).
func (s *Service) Preview(ctx context.Context, eventID, id int64, in PreviewInput) (*Preview, error) {
	code := strings.ToUpper(strings.TrimSpace(in.OrderCode))
	if code == "" {
		return nil, apperr.Invalid("order_code_missing", "Choose an order to preview.").WithField("order_code", "Required.")
	}
	ed, _, st, err := s.loadOne(ctx, eventID, id)
	if err != nil {
		return nil, err
	}
	src := fields.ObjectType(st.om.SourceType)
	rows := st.rows()
	if len(in.Rows) > 0 {
		if src, err = parseSource(in.SourceType, "source_type"); err != nil {
			return nil, err
		}
		rows = cleanRows(ed.res, in.Rows)
	}
	var po models.PretixOrder
	err = s.db.WithContext(ctx).Where("event_id = ? AND code = ?", eventID, code).Take(&po).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.NotFound("order_not_found", fmt.Sprintf("There is no order %s in this event here. Check the code; new orders appear after the next pull from pretix.", code)).
			WithField("order_code", "No such order.")
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	order, err := pretixwire.DecodeOrder([]byte(po.RawJSON))
	if err != nil {
		return nil, err
	}
	sc, err := s.portal(ctx, eventID)
	if err != nil {
		return nil, err
	}
	tgt := hubspot.ObjectType(st.om.TargetType)
	props, err := sc.properties(ctx, tgt)
	if err != nil {
		return nil, err
	}
	out := &Preview{OrderCode: po.Code, Objects: []PreviewObject{}}
	if src == fields.ObjectOrder {
		out.Objects = append(out.Objects, s.previewObject(ed, props, rows, src, fields.Context{Order: order}, "Order "+po.Code, tgt))
		return out, nil
	}
	for i := range order.Positions {
		p := &order.Positions[i]
		label := fmt.Sprintf("Ticket %s-%d", po.Code, p.PositionID)
		if p.Canceled {
			label += " (canceled)"
		}
		out.Objects = append(out.Objects, s.previewObject(ed, props, rows, src, fields.Context{Order: order, Position: p}, label, tgt))
	}
	return out, nil
}

func (s *Service) previewObject(ed *eventData, props map[string]*hubspot.Property, rows []RowInput, src fields.ObjectType,
	fc fields.Context, label string, tgt hubspot.ObjectType) PreviewObject {
	obj := PreviewObject{Label: label, Rows: make([]PreviewRow, 0, len(rows))}
	for i, r := range rows {
		mode := r.Mode
		if i == 0 {
			mode = ModeIdentifier
		}
		pr := PreviewRow{PretixField: r.PretixField, Property: r.Property, Mode: mode, ModeLabel: ModeLabel(mode)}
		g, err := ed.res.Getter(r.PretixField, src)
		if err != nil {
			pr.Error = errorText(err)
			obj.Rows = append(obj.Rows, pr)
			continue
		}
		f := g.Field()
		pr.PretixLabel = f.Label
		v, err := g.Value(fc)
		if err != nil {
			pr.Error = errorText(err)
			obj.Rows = append(obj.Rows, pr)
			continue
		}
		pr.PretixValue, pr.Empty = pretixwire.DisplayEmails(displayValue(&f, v)), v.IsEmpty()
		p := props[r.Property]
		switch {
		case p == nil:
			pr.Error = fmt.Sprintf("HubSpot has no %s property %q.", strings.ToLower(hubspotsync.SingularLabel(tgt)), r.Property)
		case v.IsEmpty() && mode == ModeIdentifier:
			obj.Skipped = "The identifier is empty, so nothing is written for this " + map[bool]string{true: "ticket", false: "order"}[src == fields.ObjectPosition] + "."
		case v.IsEmpty() && mode == models.ModeOverwrite:
			pr.Send, pr.Note = true, "Empty: clears the HubSpot field."
		case v.IsEmpty():
			pr.Note = "Empty: nothing is written."
		case s.convert == nil:
			pr.Send, pr.Sent = true, v.Text()
		default:
			sent, err := s.convert(*p, v, r.ValueMap)
			if err != nil {
				pr.Error = pretixwire.DisplayEmails(errorText(err))
				break
			}
			// HubSpot gets e-mail domains in ASCII; people read them in Unicode.
			pr.Send, pr.Sent = true, pretixwire.DisplayEmails(sent)
		}
		if pr.Send {
			switch mode {
			case models.ModeIfNew:
				pr.Note = "Written only when HubSpot has no such record yet."
			case models.ModeIfEmpty:
				pr.Note = "Written only when the HubSpot field is empty."
			case models.ModeAppend:
				pr.Note = "Added to the list unless already there."
			}
		}
		obj.Rows = append(obj.Rows, pr)
	}
	return obj
}

// displayValue renders a pretix value for people: options with their
// labels, times in UTC.
func displayValue(f *fields.Field, v fields.Value) string {
	label := func(code string) string {
		for _, o := range f.Options {
			if o.Value == code && o.Label != "" && o.Label != code {
				return o.Label + " (" + code + ")"
			}
		}
		return code
	}
	switch v.Kind {
	case fields.KindChoice:
		return label(v.Str)
	case fields.KindChoices:
		parts := make([]string, len(v.List))
		for i, c := range v.List {
			parts[i] = label(c)
		}
		return strings.Join(parts, ", ")
	case fields.KindBool:
		if v.Bool {
			return "Yes"
		}
		return "No"
	case fields.KindDateTime:
		return v.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return v.Text()
}

// OrderChoice is an order offered in the preview's order picker.
type OrderChoice struct {
	Code     string    `json:"code"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	Datetime time.Time `json:"datetime"`
}

// PreviewOrders lists recent orders of the event for the preview, filtered
// by code, email or name.
func (s *Service) PreviewOrders(ctx context.Context, eventID int64, q string, limit int) ([]OrderChoice, error) {
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	tx := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("event_id = ?", eventID)
	if q = strings.ToLower(strings.TrimSpace(q)); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		tx = tx.Where(`search_text LIKE ? ESCAPE '\'`, like)
	}
	var rows []models.PretixOrder
	if err := tx.Select("code", "email", "display_name", "status", "datetime").Order("datetime DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]OrderChoice, 0, len(rows))
	for _, r := range rows {
		out = append(out, OrderChoice{Code: r.Code, Email: r.Email, Name: r.DisplayName, Status: r.Status, Datetime: r.Datetime})
	}
	return out, nil
}
