package main

import (
	"embed"
	"io/fs"
)

// frontend/dist holds the built UI; a committed .gitkeep keeps the pattern
// valid in a fresh clone, so go build works before the UI is built.
//
//go:embed all:frontend/dist
var distFS embed.FS

// uiFS returns the built UI, or nil when only the placeholder is embedded.
func uiFS() fs.FS {
	sub, err := fs.Sub(distFS, "frontend/dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}
