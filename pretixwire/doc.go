// Package pretixwire is the one Go model of the JSON the pretix REST API
// sends: organizers, events and their catalogue (products, questions,
// check-in lists, dates), orders with positions, answers, payments and
// invoice addresses. The API client decodes into it, ingest fingerprints it,
// the field catalogue and value extraction read it, and the order page shows
// it; nothing else declares its own types for these documents.
//
// It also holds the one rule for showing a multilingual pretix text to a
// person (LocalizedText.Localize). The emulators in fakes/ keep their own
// independent types on purpose, so a mistake here cannot hide in both.
package pretixwire
