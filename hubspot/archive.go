package hubspot

import (
	"context"
	"net/http"
)

// BatchArchive archives up to MaxBatchInputs records by record id. HubSpot
// answers 204 with no per-record detail; an id that no longer exists is not
// an error there, so archiving is safe to repeat.
func (c *Client) BatchArchive(ctx context.Context, ot ObjectType, ids []string) error {
	op := "batch archive " + string(ot)
	if len(ids) > MaxBatchInputs {
		return tooMany(op, len(ids), MaxBatchInputs)
	}
	if len(ids) == 0 {
		return nil
	}
	inputs := make([]map[string]string, len(ids))
	for i, id := range ids {
		inputs[i] = map[string]string{"id": id}
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodPost,
		path: "/crm/objects/" + APIVersion + "/" + string(ot) + "/batch/archive",
		body: map[string]any{"inputs": inputs}, idempotent: true})
	if err != nil {
		return wholeBatch(err)
	}
	return nil
}

// BatchDissociate removes every association between the pairs' records
// (both directions, as HubSpot keeps them), leaving the records themselves.
// Large lists are split into calls of MaxAssociationInputs.
func (c *Client) BatchDissociate(ctx context.Context, from, to ObjectType, pairs []AssociationPair) error {
	op := "dissociate " + string(from) + " from " + string(to)
	for start := 0; start < len(pairs); start += MaxAssociationInputs {
		chunk := pairs[start:min(start+MaxAssociationInputs, len(pairs))]
		inputs := make([]map[string]any, len(chunk))
		for i, p := range chunk {
			inputs[i] = map[string]any{"from": map[string]string{"id": p.FromID}, "to": []map[string]string{{"id": p.ToID}}}
		}
		if _, err := c.do(ctx, request{op: op, method: http.MethodPost,
			path: "/crm/associations/" + APIVersion + "/" + string(from) + "/" + string(to) + "/batch/archive",
			body: map[string]any{"inputs": inputs}, idempotent: true}); err != nil {
			return wholeBatch(err)
		}
	}
	return nil
}
