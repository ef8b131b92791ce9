// Package datasync is the provider-neutral sync engine: the job queue with
// leases, the retry policy, the failure modes and the runner that hands due
// jobs to providers in batches. Providers (HubSpot first) plug in through the
// Provider interface; nothing here knows about HTTP.
package datasync
