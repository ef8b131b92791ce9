package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveEnv turns the test binary into `pretix-hubspot serve` with the
// arguments it holds (JSON), so tests can run the real app as a process of
// its own: one they can kill or whose memory they can measure.
const serveEnv = "PH_TEST_SERVE_ARGS"

func TestMain(m *testing.M) {
	if v := os.Getenv(serveEnv); v != "" {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(run(append([]string{"serve"}, args...), os.Getenv, os.Stdout, os.Stderr))
	}
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	builtDir  string
	built     string
	buildErr  error
)

// appBinary is the binary startApp runs: PH_BIN when set (make bench), a
// plain build of this module when the tests run with the race detector
// (its memory overhead would distort what the process measures), else ""
// for this test binary itself.
func appBinary(tb testing.TB) string {
	if bin := os.Getenv("PH_BIN"); bin != "" {
		return bin
	}
	if !raceEnabled {
		return ""
	}
	buildOnce.Do(func() {
		if builtDir, buildErr = os.MkdirTemp("", "ph-app-"); buildErr != nil {
			return
		}
		built = filepath.Join(builtDir, "pretix-hubspot")
		if out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return built
}

// appProcess is the app running in a process of its own.
type appProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

// startApp starts the app (see appBinary) on a free port with the given extra flags,
// and waits until it is healthy.
func startApp(tb testing.TB, dataDir string, extra ...string) *appProcess {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"--addr", addr, "--data-dir", dataDir, "--log-level", "warn"}, extra...)
	var cmd *exec.Cmd
	if bin := appBinary(tb); bin != "" {
		cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	} else {
		b, _ := json.Marshal(args)
		cmd = exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"="+string(b))
	}
	p := &appProcess{cmd: cmd, base: "http://" + addr, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.kill)
	for deadline := time.Now().Add(15 * time.Second); ; {
		res, err := http.Get(p.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the app did not become healthy: %v\n%s", err, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *appProcess) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// peakRSSMB is the process's peak resident set size (VmHWM) in MB.
func (p *appProcess) peakRSSMB(tb testing.TB) float64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

// browser is a cookie-keeping client with the CSRF token of its session.
type browser struct {
	c    *http.Client
	base string
	csrf string
}

func newBrowser(tb testing.TB, base string) *browser {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{c: &http.Client{Jar: jar, Timeout: 60 * time.Second}, base: base}
	var out struct {
		Data struct {
			CSRF string `json:"csrf_token"`
		} `json:"data"`
	}
	if status := b.do(tb, "GET", "/api/session", nil, &out); status != 200 {
		tb.Fatalf("session: %d", status)
	}
	b.csrf = out.Data.CSRF
	return b
}

// do sends a JSON request and decodes the answer into out (when not nil).
func (b *browser) do(tb testing.TB, method, path string, body, out any) int {
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		tb.Errorf("%s %s: %v", method, path, err)
		return 0
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}
