// Package config reads the application's settings from flags and
// PRETIX_HUBSPOT_* environment variables and validates them once at start.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix prefixes every environment variable the application reads.
const EnvPrefix = "PRETIX_HUBSPOT_"

// DefaultMemoryLimitMiB is the default soft heap limit: a 100,000-order
// backlog drains in a live heap of about 65 MiB; left to the default
// pacing the heap would grow to twice that before each collection.
const DefaultMemoryLimitMiB = 100

// Config is the validated configuration.
type Config struct {
	Addr         string   // listen address, host:port
	MetricsAddr  string   // listen address of /metrics, "" for none
	DataDir      string   // database, key file
	BaseURL      *url.URL // public URL: OAuth redirects and Host checks
	SecretKey    string   // optional encryption key (hex or base64 of 32 bytes); else a key file in DataDir
	AllowedHosts []string // Host header values accepted besides the base URL's
	SyncCron     string   // cron spec of the pull + sync loop
	LogLevel     string   // debug, info, warn, error
	LogFormat    string   // text or json

	// HistoryDays is how long the run history (Sync activity) is kept.
	HistoryDays int

	// SyncMaxAttempts is how often a temporarily failing sync is tried
	// before it counts as "auto-retry limit exceeded".
	SyncMaxAttempts int

	// PasswordHashMemoryMiB is argon2id's memory cost per password hash;
	// PasswordHashConcurrency bounds how many run at once, so the memory
	// that sign-in attempts can take is at most their product.
	PasswordHashMemoryMiB   int
	PasswordHashConcurrency int

	// MemoryLimitMiB is Go's soft memory limit (0: none); password hashes
	// raise it by their own memory while they run.
	MemoryLimitMiB int

	// ForgetSecrets erases, at start, the stored secrets the key cannot
	// open (for an installation whose old key is lost).
	ForgetSecrets bool

	HubSpotClientID     string // OAuth app client id (may also be set in the UI)
	HubSpotClientSecret string // OAuth app client secret (may also be set in the UI)
	HubSpotAPIBase      string // e.g. https://api.hubapi.com
	HubSpotAppBase      string // e.g. https://app.hubspot.com (OAuth consent pages)
}

// DatabasePath is where the SQLite database lives.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "pretix-hubspot.db") }

// option describes one setting for the flag set and its environment variable.
type option struct {
	name, def, usage string
	target           *string
}

// Load parses args (without the program name and subcommand) with env as the
// fallback source: a flag given on the command line wins over the environment,
// which wins over the default.
func Load(args []string, env func(string) string, stderr io.Writer) (*Config, error) {
	var raw struct {
		addr, dataDir, baseURL, secretKey, allowedHosts, syncCron, logLevel, logFormat string
		metricsAddr                                                                    string
		syncAttempts, hashMemory, hashConcurrency, memoryLimit, historyDays            string
		hsID, hsSecret, hsAPI, hsApp                                                   string
	}
	opts := []option{
		{"addr", "127.0.0.1:8080", "listen address (host:port)", &raw.addr},
		{"metrics-addr", "", "listen address (host:port) of the Prometheus metrics at /metrics, apart from the app; empty for none", &raw.metricsAddr},
		{"data-dir", "./data", "directory for the database and the encryption key file", &raw.dataDir},
		{"base-url", "", "public URL of this app, used for OAuth redirects and Host checks (default: http://<addr>)", &raw.baseURL},
		{"secret-key", "", "encryption key for tokens at rest, 64 hex characters (default: a key file created in the data dir)", &raw.secretKey},
		{"allowed-hosts", "", "comma-separated extra Host header values to accept", &raw.allowedHosts},
		{"sync-cron", "5-55/10 * * * *", "cron schedule of the pull and sync loop", &raw.syncCron},
		{"sync-max-attempts", "5", "attempts of a temporarily failing sync before it needs a person (backoff grows from 6 minutes)", &raw.syncAttempts},
		{"history-days", "30", "days the run history of the Sync activity page is kept, 1 to 3650", &raw.historyDays},
		{"password-hash-memory", "64", "memory cost of one password hash (argon2id) in MiB, 8 to 1024", &raw.hashMemory},
		{"password-hash-concurrency", "2", "password hashes computed at once (sign-in, setup); more wait briefly or are refused", &raw.hashConcurrency},
		{"memory-limit", strconv.Itoa(DefaultMemoryLimitMiB), "soft limit of the Go heap in MiB, 0 for none: the garbage collector works harder near it instead of letting the heap double (password hashes add their own memory while they run; GOMEMLIMIT, when set, wins)", &raw.memoryLimit},
		{"log-level", "info", "log level: debug, info, warn, error", &raw.logLevel},
		{"log-format", "text", "log format: text or json", &raw.logFormat},
		{"hubspot-client-id", "", "client id of your HubSpot app (can also be set in the UI)", &raw.hsID},
		{"hubspot-client-secret", "", "client secret of your HubSpot app (can also be set in the UI)", &raw.hsSecret},
		{"hubspot-api-base", "https://api.hubapi.com", "HubSpot API base URL", &raw.hsAPI},
		{"hubspot-app-base", "https://app.hubspot.com", "HubSpot app base URL (OAuth consent pages)", &raw.hsApp},
	}
	fs := flag.NewFlagSet("pretix-hubspot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, o := range opts {
		def := o.def
		if v := env(EnvName(o.name)); v != "" {
			def = v
		}
		fs.StringVar(o.target, o.name, def, o.usage+" [$"+EnvName(o.name)+"]")
	}
	forget := fs.Bool("forget-secrets", strings.EqualFold(env(EnvName("forget-secrets")), "true"),
		"erase the stored tokens the encryption key cannot open (when the old key is lost) and start [$"+EnvName("forget-secrets")+"]")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	c := &Config{
		Addr: raw.addr, MetricsAddr: strings.TrimSpace(raw.metricsAddr), DataDir: raw.dataDir, SecretKey: raw.secretKey, SyncCron: raw.syncCron,
		LogLevel: strings.ToLower(raw.logLevel), LogFormat: strings.ToLower(raw.logFormat),
		HubSpotClientID: raw.hsID, HubSpotClientSecret: raw.hsSecret,
		ForgetSecrets:  *forget,
		HubSpotAPIBase: strings.TrimRight(raw.hsAPI, "/"), HubSpotAppBase: strings.TrimRight(raw.hsApp, "/"),
	}
	var errs []error
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		errs = append(errs, fmt.Errorf("--addr %q must be host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	if c.MetricsAddr != "" {
		if _, mport, err := net.SplitHostPort(c.MetricsAddr); err != nil || mport == "" {
			errs = append(errs, fmt.Errorf("--metrics-addr %q must be host:port, e.g. 127.0.0.1:9090", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, fmt.Errorf("--metrics-addr %q must differ from --addr: metrics are served apart from the app", c.MetricsAddr))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if raw.baseURL == "" {
		h := host
		if h == "" || h == "0.0.0.0" || h == "::" {
			h = "localhost"
		}
		raw.baseURL = "http://" + net.JoinHostPort(h, port)
	}
	u, err := url.Parse(strings.TrimRight(raw.baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--base-url %q must be an absolute http(s) URL such as http://localhost:8080", raw.baseURL))
	} else {
		c.BaseURL = u
	}
	for _, h := range strings.Split(raw.allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.AllowedHosts = append(c.AllowedHosts, strings.ToLower(h))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q must be one of debug, info, warn, error", raw.logLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q must be text or json", raw.logFormat))
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.syncAttempts)); err != nil || n < 1 || n > 20 {
		errs = append(errs, fmt.Errorf("--sync-max-attempts %q must be a whole number from 1 to 20", raw.syncAttempts))
	} else {
		c.SyncMaxAttempts = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.historyDays)); err != nil || n < 1 || n > 3650 {
		errs = append(errs, fmt.Errorf("--history-days %q must be a whole number of days from 1 to 3650", raw.historyDays))
	} else {
		c.HistoryDays = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.hashMemory)); err != nil || n < 8 || n > 1024 {
		errs = append(errs, fmt.Errorf("--password-hash-memory %q must be a whole number of MiB from 8 to 1024", raw.hashMemory))
	} else {
		c.PasswordHashMemoryMiB = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.hashConcurrency)); err != nil || n < 1 || n > 64 {
		errs = append(errs, fmt.Errorf("--password-hash-concurrency %q must be a whole number from 1 to 64", raw.hashConcurrency))
	} else {
		c.PasswordHashConcurrency = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw.memoryLimit)); err != nil || (n != 0 && (n < 32 || n > 1<<20)) {
		errs = append(errs, fmt.Errorf("--memory-limit %q must be 0 (no limit) or a whole number of MiB from 32 up", raw.memoryLimit))
	} else {
		c.MemoryLimitMiB = n
	}
	if len(strings.Fields(c.SyncCron)) != 5 {
		errs = append(errs, fmt.Errorf("--sync-cron %q must be a five-field cron expression such as \"5-55/10 * * * *\"", c.SyncCron))
	}
	for name, v := range map[string]string{"--hubspot-api-base": c.HubSpotAPIBase, "--hubspot-app-base": c.HubSpotAppBase} {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("%s %q must be an absolute http(s) URL", name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Hosts returns every Host header value the server accepts: the base URL's
// host, the listen address, and for loopback addresses their usual aliases.
func (c *Config) Hosts() []string {
	set := map[string]bool{strings.ToLower(c.BaseURL.Host): true, strings.ToLower(c.Addr): true}
	if host, port, err := net.SplitHostPort(c.Addr); err == nil {
		ip := net.ParseIP(host)
		if host == "localhost" || (ip != nil && ip.IsLoopback()) || host == "" || host == "0.0.0.0" || host == "::" {
			for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
				set[h+":"+port] = true
			}
		}
	}
	for _, h := range c.AllowedHosts {
		set[h] = true
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	return out
}

// SessionTTL is how long a login lasts without activity.
const SessionTTL = 14 * 24 * time.Hour

// EnvName is the environment variable for a flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
