// Package pretix is the pretix side of the app's store: connected
// organizers, the puller that keeps events and orders fresh through the API
// client (package pretixapi), ingest into the local order store with its
// change detection, the order and event queries the UI reads, and the
// webhook receiver. The JSON shapes it reads are those of package pretixwire.
package pretix
