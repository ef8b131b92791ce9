package hubspot

import (
	"context"
	"net/http"
	"strings"
)

// AssociationPair links one record to another.
type AssociationPair struct {
	FromID string
	ToID   string
}

// AssociationResult lists the pairs that failed; the others are linked.
type AssociationResult struct {
	Errors map[AssociationPair]*Error
}

var typeNames = map[ObjectType]string{Contacts: "CONTACT", Companies: "COMPANY", Deals: "DEAL", LineItems: "LINE_ITEM", Products: "PRODUCT"}

// BatchAssociateDefault links pairs with HubSpot's default (unlabelled)
// association type, which needs no type-id table. Large lists are split into
// calls of MaxAssociationInputs. On a failed call the result so far is
// returned with the error.
func (c *Client) BatchAssociateDefault(ctx context.Context, from, to ObjectType, pairs []AssociationPair) (*AssociationResult, error) {
	res := &AssociationResult{Errors: map[AssociationPair]*Error{}}
	op := "associate " + string(from) + " with " + string(to)
	for start := 0; start < len(pairs); start += MaxAssociationInputs {
		chunk := pairs[start:min(start+MaxAssociationInputs, len(pairs))]
		if err := c.associateChunk(ctx, op, from, to, chunk, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (c *Client) associateChunk(ctx context.Context, op string, from, to ObjectType, chunk []AssociationPair, res *AssociationResult) error {
	inputs := make([]map[string]any, 0, len(chunk))
	for _, p := range chunk {
		inputs = append(inputs, map[string]any{"from": map[string]string{"id": p.FromID}, "to": map[string]string{"id": p.ToID}})
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost,
		path: "/crm/associations/" + APIVersion + "/" + string(from) + "/" + string(to) + "/batch/associate/default",
		body: map[string]any{"inputs": inputs}, idempotent: true})
	if err != nil {
		return wholeBatch(err)
	}
	var out struct {
		Results []struct {
			From struct {
				ID string `json:"id"`
			} `json:"from"`
			To struct {
				ID string `json:"id"`
			} `json:"to"`
		} `json:"results"`
		Errors []wireError `json:"errors"`
	}
	if err := decode(op, resp, &out); err != nil {
		return err
	}
	linked := map[AssociationPair]bool{}
	for _, r := range out.Results {
		linked[AssociationPair{r.From.ID, r.To.ID}] = true
		linked[AssociationPair{r.To.ID, r.From.ID}] = true
	}
	var unattributed *Error
	for _, we := range out.Errors {
		e := classifyItem(op, we)
		placed := false
		// Entries read "CONTACT=123 is not valid": blame every pair that
		// uses that record on that side.
		for _, entry := range we.Context["INVALID_OBJECT_IDS"] {
			typ, id, ok := strings.Cut(strings.TrimSuffix(entry, " is not valid"), "=")
			if !ok {
				continue
			}
			for _, p := range chunk {
				if (typ == typeNames[from] && p.FromID == id) || (typ == typeNames[to] && p.ToID == id) {
					res.Errors[p], placed = e, true
				}
			}
		}
		if !placed && unattributed == nil {
			unattributed = e
		}
	}
	for _, p := range chunk {
		if linked[p] {
			continue
		}
		if _, failed := res.Errors[p]; failed {
			continue
		}
		if unattributed != nil {
			res.Errors[p] = unattributed
		} else {
			res.Errors[p] = &Error{Class: ClassTemporary, Op: op, Status: resp.status, Message: "HubSpot did not confirm this association"}
		}
	}
	return nil
}
