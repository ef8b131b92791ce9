package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"pretix-hubspot/fakes/world"
)

// runFakes serves the pretix and HubSpot emulators on their own ports until
// ctx ends, printing the connection details as one JSON line first. The
// browser tests start it next to the app; people can use it to try the app.
func runFakes(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pretixAddr := fs.String("pretix-addr", "127.0.0.1:0", "listen address of the pretix emulator")
	hubspotAddr := fs.String("hubspot-addr", "127.0.0.1:0", "listen address of the HubSpot emulator")
	orders := fs.Int("orders", 200, "orders generated per event at start")
	seed := fs.Int64("seed", 1, "random seed of the generated data")
	rateLimit := fs.Bool("pretix-rate-limit", false, "apply pretix.eu's 360 requests/minute limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	w, err := world.Start(world.Options{PretixAddr: *pretixAddr, HubSpotAddr: *hubspotAddr, Orders: *orders, Seed: *seed, PretixRateLimit: *rateLimit})
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	defer w.Close()
	if err := json.NewEncoder(stdout).Encode(w.Info()); err != nil {
		return 1
	}
	<-ctx.Done()
	return 0
}
