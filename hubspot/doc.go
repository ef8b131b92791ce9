// Package hubspot is the HubSpot side of pretix-hubspot: OAuth and static
// tokens, connection storage with encrypted tokens, the per-portal
// rate-limit governor, error classification, and the CRM calls the sync
// engine needs (properties, pipelines, batch read/create/update/upsert,
// default associations, record links).
//
// Entry point: NewService. A Service is shared by the whole process; its
// Client(hubID) values are cheap and share one token source, one property
// cache and one rate limiter per portal, so every caller — the ten-minute
// loop, Sync now, bulk syncs — draws from the same budget.
package hubspot
