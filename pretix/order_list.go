package pretix

import (
	"context"
	"strings"
	"time"

	"pretix-hubspot/apperr"
)

// Order list paging limits.
const (
	DefaultOrderPageSize = 50
	MaxOrderPageSize     = 200
)

// OrderListQuery selects a page of stored orders, newest first.
type OrderListQuery struct {
	OrganizerID int64
	EventID     int64    // 0 lists every event of the organizer
	Search      string   // words matched in code, e-mails, names, company, phone
	Status      []string // any of "n", "p", "e", "c"; empty means all
	Page        int      // 1-based; 0 means 1
	PageSize    int      // 0 means DefaultOrderPageSize; at most MaxOrderPageSize
}

// OrderSummary is one row of the orders list.
type OrderSummary struct {
	ID              int64     `json:"id"`
	EventID         int64     `json:"event_id"`
	EventSlug       string    `json:"event"`
	Code            string    `json:"code"`
	Status          string    `json:"status"`
	StatusLabel     string    `json:"status_label"`
	RequireApproval bool      `json:"require_approval"`
	Testmode        bool      `json:"testmode"`
	Email           string    `json:"email"`
	Name            string    `json:"name"`
	Datetime        time.Time `json:"datetime"`
	LastModified    time.Time `json:"last_modified"`
	Total           string    `json:"total"`
	Currency        string    `json:"currency"`
	Positions       int       `json:"positions"`
}

// OrderList is a page of orders and the number of all matching ones.
type OrderList struct {
	Orders   []OrderSummary `json:"orders"`
	Total    int            `json:"total"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
}

var validStatus = map[string]bool{"n": true, "p": true, "e": true, "c": true}

// ListOrders returns a page of stored orders, newest first, in two indexed
// queries (count and page) whatever the page size.
func (s *Service) ListOrders(ctx context.Context, q OrderListQuery) (*OrderList, error) {
	if q.Page < 0 {
		return nil, apperr.Invalid("orders_page_invalid", "The page number must be 1 or more.").WithField("page", "1 or more.")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	switch {
	case q.PageSize < 0 || q.PageSize > MaxOrderPageSize:
		return nil, apperr.Invalid("orders_page_size_invalid", "The page size must be between 1 and 200.").WithField("page_size", "Between 1 and 200.")
	case q.PageSize == 0:
		q.PageSize = DefaultOrderPageSize
	}
	db := s.db.WithContext(ctx)
	// Filter by event alone when one is given (after checking it belongs to
	// the organizer): the list indexes start with event_id, and an extra
	// organizer condition would make SQLite read every row.
	where := []string{"o.organizer_id = ?"}
	args := []any{q.OrganizerID}
	if q.EventID != 0 {
		var owner int64
		if err := db.Raw(`SELECT organizer_id FROM pretix_events WHERE id = ?`, q.EventID).Scan(&owner).Error; err != nil {
			return nil, apperr.Internal(err)
		}
		if owner != q.OrganizerID {
			return nil, apperr.NotFound("event_not_found", "This event does not belong to this pretix connection.")
		}
		where, args = []string{"o.event_id = ?"}, []any{q.EventID}
	}
	if len(q.Status) > 0 {
		ph := make([]string, len(q.Status))
		for i, st := range q.Status {
			if !validStatus[st] {
				return nil, apperr.Invalid("orders_status_invalid", "Unknown order status \u201c"+st+"\u201d; use n (pending), p (paid), e (expired) or c (canceled).").
					WithField("status", "Use n, p, e or c.")
			}
			ph[i] = "?"
			args = append(args, st)
		}
		where = append(where, "o.status IN ("+strings.Join(ph, ",")+")")
	}
	// search_text is lower-cased at ingest; instr is a plain substring
	// test, several times faster than LIKE and free of wildcards.
	for _, w := range strings.Fields(strings.ToLower(q.Search)) {
		where = append(where, `instr(o.search_text, ?) > 0`)
		args = append(args, w)
	}
	cond := strings.Join(where, " AND ")
	out := &OrderList{Orders: []OrderSummary{}, Page: q.Page, PageSize: q.PageSize}
	ids, total, err := s.pageIDs(ctx, cond, args, q)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out.Total = total
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.Raw(`SELECT o.id, o.event_id, o.event_slug, o.code, o.status, o.require_approval, o.testmode, o.email,
		o.display_name, o.datetime, o.last_modified, o.total, e.currency, o.position_count
		FROM pretix_orders o JOIN pretix_events e ON e.id = o.event_id
		WHERE o.id IN ?`, ids).Rows()
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	byID := make(map[int64]OrderSummary, len(ids))
	for rows.Next() {
		var o OrderSummary
		if err := rows.Scan(&o.ID, &o.EventID, &o.EventSlug, &o.Code, &o.Status, &o.RequireApproval, &o.Testmode, &o.Email,
			&o.Name, &o.Datetime, &o.LastModified, &o.Total, &o.Currency, &o.Positions); err != nil {
			return nil, apperr.Internal(err)
		}
		o.StatusLabel = StatusLabel(o.Status, o.RequireApproval)
		byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	for _, id := range ids {
		if o, ok := byID[id]; ok {
			out.Orders = append(out.Orders, o)
		}
	}
	return out, nil
}

// pageIDs returns the ids of the requested page and the number of matching
// orders, reading only the list indexes (an OFFSET over full rows would read
// every skipped row). Without a search, a count over the narrow status index
// plus a short index walk is cheapest; with one, matches are usually few
// and a single scan that counts with a window function halves the work.
func (s *Service) pageIDs(ctx context.Context, cond string, args []any, q OrderListQuery) ([]int64, int, error) {
	db := s.db.WithContext(ctx)
	limit := append(append([]any(nil), args...), q.PageSize, (q.Page-1)*q.PageSize)
	order := ` ORDER BY o.datetime DESC, o.id DESC LIMIT ? OFFSET ?`
	if strings.TrimSpace(q.Search) == "" {
		var total int64
		if err := db.Raw(`SELECT COUNT(*) FROM pretix_orders o WHERE `+cond, args...).Scan(&total).Error; err != nil {
			return nil, 0, err
		}
		var ids []int64
		if err := db.Raw(`SELECT o.id FROM pretix_orders o WHERE `+cond+order, limit...).Scan(&ids).Error; err != nil {
			return nil, 0, err
		}
		return ids, int(total), nil
	}
	var page []struct {
		ID    int64
		Total int
	}
	if err := db.Raw(`SELECT o.id AS id, COUNT(*) OVER () AS total FROM pretix_orders o WHERE `+cond+order, limit...).Scan(&page).Error; err != nil {
		return nil, 0, err
	}
	if len(page) == 0 {
		if q.Page == 1 {
			return nil, 0, nil
		}
		// Past the end the window sees no row; count on its own.
		var total int64
		err := db.Raw(`SELECT COUNT(*) FROM pretix_orders o WHERE `+cond, args...).Scan(&total).Error
		return nil, int(total), err
	}
	ids := make([]int64, len(page))
	for i, p := range page {
		ids[i] = p.ID
	}
	return ids, page[0].Total, nil
}
