package pretix

// WebhookAction is an action type to tick in pretix's webhook form
// (Organizer → Webhooks). Labels describe the checkbox in our words; the
// action code is what pretix sends and lists next to it.
type WebhookAction struct {
	Action   string `json:"action"`
	Label    string `json:"label"`
	Optional bool   `json:"optional"` // useful but not needed for orders to arrive quickly
}

// WebhookActions are the action types the webhook receiver acts on. Every
// order action triggers a fetch of that order, so the list covers what can
// change an order's status, contents or contact data; the optional ones
// only refresh the event's catalogue sooner. Anything missed here is still
// picked up by the next scheduled pull.
var WebhookActions = []WebhookAction{
	{Action: "pretix.event.order.placed", Label: "Order placed"},
	{Action: "pretix.event.order.placed.require_approval", Label: "Order placed (requires approval)"},
	{Action: "pretix.event.order.paid", Label: "Order marked as paid"},
	{Action: "pretix.event.order.payment.confirmed", Label: "Payment confirmed"},
	{Action: "pretix.event.order.canceled", Label: "Order canceled"},
	{Action: "pretix.event.order.reactivated", Label: "Order reactivated"},
	{Action: "pretix.event.order.expired", Label: "Order expired"},
	{Action: "pretix.event.order.modified", Label: "Order information changed"},
	{Action: "pretix.event.order.contact.changed", Label: "Order contact address changed"},
	{Action: "pretix.event.order.changed.*", Label: "Order changed"},
	{Action: "pretix.event.order.approved", Label: "Order approved"},
	{Action: "pretix.event.order.denied", Label: "Order denied"},
	{Action: "pretix.event.order.deleted", Label: "Order deleted (test mode)"},
	{Action: "pretix.event.checkin", Label: "Ticket checked in (for HubSpot marketing events: attended)", Optional: true},
	{Action: "pretix.event.checkin.reverted", Label: "Check-in reverted", Optional: true},
	{Action: "pretix.event.changed", Label: "Event details changed", Optional: true},
	{Action: "pretix.event.item.*", Label: "Products changed", Optional: true},
	{Action: "pretix.subevent.*", Label: "Event dates (series) changed", Optional: true},
}
