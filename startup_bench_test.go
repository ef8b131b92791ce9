package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartup measures how long the real binary takes from exec to a
// healthy HTTP answer on an empty data directory (target: under 1 s).
func BenchmarkStartup(b *testing.B) {
	bin := os.Getenv("PH_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "pretix-hubspot")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
	}
	const runs = 7
	var times []time.Duration
	for i := 0; i < runs; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		dir := b.TempDir()
		start := time.Now()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "warn")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		ok := false
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			res, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				res.Body.Close()
				ok = res.StatusCode == 200
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		times = append(times, time.Since(start))
		cmd.Process.Kill()
		cmd.Wait()
		if !ok {
			b.Fatal("the binary did not become healthy")
		}
	}
	slices.Sort(times)
	median, worst := times[runs/2], times[runs-1]
	b.ReportMetric(float64(median.Milliseconds()), "startup_ms")
	fmt.Printf("BENCH startup_ms %d ms\n", median.Milliseconds())
	fmt.Printf("BENCH startup_max_ms %d ms\n", worst.Milliseconds())
}
