package config

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{name: "defaults", check: func(t *testing.T, c *Config) {
			if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.BaseURL.String() != "http://127.0.0.1:8080" {
				t.Fatalf("got addr %q dir %q base %q", c.Addr, c.DataDir, c.BaseURL)
			}
			if c.SyncCron != "5-55/10 * * * *" || c.SyncMaxAttempts != 5 {
				t.Fatalf("cron %q, attempts %d", c.SyncCron, c.SyncMaxAttempts)
			}
		}},
		{name: "sync attempts from env", env: map[string]string{"PRETIX_HUBSPOT_SYNC_MAX_ATTEMPTS": "8"}, check: func(t *testing.T, c *Config) {
			if c.SyncMaxAttempts != 8 {
				t.Fatalf("attempts %d", c.SyncMaxAttempts)
			}
		}},
		{name: "bad sync attempts", args: []string{"--sync-max-attempts", "0"}, wantErr: "--sync-max-attempts"},
		{name: "history kept 30 days by default", check: func(t *testing.T, c *Config) {
			if c.HistoryDays != 30 {
				t.Fatalf("history days %d", c.HistoryDays)
			}
		}},
		{name: "history days from env", env: map[string]string{"PRETIX_HUBSPOT_HISTORY_DAYS": "90"}, check: func(t *testing.T, c *Config) {
			if c.HistoryDays != 90 {
				t.Fatalf("history days %d", c.HistoryDays)
			}
		}},
		{name: "bad history days", args: []string{"--history-days", "0"}, wantErr: "--history-days"},
		{name: "memory limit by default", check: func(t *testing.T, c *Config) {
			if c.MemoryLimitMiB != DefaultMemoryLimitMiB {
				t.Fatalf("memory limit %d", c.MemoryLimitMiB)
			}
		}},
		{name: "memory limit off", env: map[string]string{"PRETIX_HUBSPOT_MEMORY_LIMIT": "0"}, check: func(t *testing.T, c *Config) {
			if c.MemoryLimitMiB != 0 {
				t.Fatalf("memory limit %d", c.MemoryLimitMiB)
			}
		}},
		{name: "metrics off by default", check: func(t *testing.T, c *Config) {
			if c.MetricsAddr != "" {
				t.Fatalf("metrics addr %q", c.MetricsAddr)
			}
		}},
		{name: "metrics address from env", env: map[string]string{"PRETIX_HUBSPOT_METRICS_ADDR": "127.0.0.1:9464"}, check: func(t *testing.T, c *Config) {
			if c.MetricsAddr != "127.0.0.1:9464" {
				t.Fatalf("metrics addr %q", c.MetricsAddr)
			}
		}},
		{name: "metrics address without a port", args: []string{"--metrics-addr", "localhost"}, wantErr: "--metrics-addr"},
		{name: "metrics on the app's address", args: []string{"--metrics-addr", "127.0.0.1:8080"}, wantErr: "must differ from --addr"},
		{name: "memory limit too small", args: []string{"--memory-limit", "8"}, wantErr: "--memory-limit"},
		{name: "memory limit not a number", args: []string{"--memory-limit", "100MiB"}, wantErr: "--memory-limit"},
		{name: "env sets value", env: map[string]string{"PRETIX_HUBSPOT_ADDR": "127.0.0.1:9999"}, check: func(t *testing.T, c *Config) {
			if c.Addr != "127.0.0.1:9999" {
				t.Fatalf("addr %q", c.Addr)
			}
		}},
		{name: "flag wins over env", args: []string{"--addr", "127.0.0.1:7000"}, env: map[string]string{"PRETIX_HUBSPOT_ADDR": "127.0.0.1:9999"}, check: func(t *testing.T, c *Config) {
			if c.Addr != "127.0.0.1:7000" {
				t.Fatalf("addr %q", c.Addr)
			}
		}},
		{name: "wildcard addr gives localhost base", args: []string{"--addr", "0.0.0.0:8080"}, check: func(t *testing.T, c *Config) {
			if c.BaseURL.String() != "http://localhost:8080" {
				t.Fatalf("base %q", c.BaseURL)
			}
		}},
		{name: "bad addr", args: []string{"--addr", "8080"}, wantErr: "must be host:port"},
		{name: "bad base url", args: []string{"--base-url", "localhost:8080"}, wantErr: "--base-url"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "bad cron", args: []string{"--sync-cron", "every 10 minutes"}, wantErr: "--sync-cron"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestHostsIncludeLoopbackAliases(t *testing.T) {
	c, err := Load([]string{"--allowed-hosts", "Example.org"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	hosts := c.Hosts()
	for _, want := range []string{"127.0.0.1:8080", "localhost:8080", "example.org"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("hosts %v lack %q", hosts, want)
		}
	}
	if slices.Contains(hosts, "evil.example:8080") {
		t.Error("unexpected host")
	}
}
