package crawler

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	if !cfg.ObeyRobots || cfg.MaxDepth != 1 || cfg.PerHostParallelism != 2 || cfg.PerHostDelay != time.Second ||
		cfg.Parallelism != 8 || cfg.RequestTimeout != 30*time.Second || cfg.MaxBodyBytes != 10<<20 ||
		cfg.MaxRedirects != 10 || cfg.AllowPrivateNetworks {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
}

func TestEffectiveUserAgent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Version = "1.4.0"
	if got, want := cfg.EffectiveUserAgent(), "Archivist/1.4.0 (+https://github.com/archivist-project/archivist)"; got != want {
		t.Errorf("UA = %q, want %q", got, want)
	}
	cfg.Contact = "ops@example.org"
	if got, want := cfg.EffectiveUserAgent(), "Archivist/1.4.0 (+https://github.com/archivist-project/archivist; contact: ops@example.org)"; got != want {
		t.Errorf("UA with contact = %q, want %q", got, want)
	}
	cfg.UserAgent = "Custom/2"
	if got := cfg.EffectiveUserAgent(); got != "Custom/2" {
		t.Errorf("explicit UA = %q", got)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"version", func(c *Config) { c.Version = "" }},
		{"version", func(c *Config) { c.Version = "1.0 beta" }},
		{"contact", func(c *Config) { c.Contact = "me\r\nX-Injected: 1" }},
		{"user_agent", func(c *Config) { c.UserAgent = "a\nb" }},
		{"max_depth", func(c *Config) { c.MaxDepth = -1 }},
		{"per_host_parallelism", func(c *Config) { c.PerHostParallelism = 0 }},
		{"per_host_delay", func(c *Config) { c.PerHostDelay = -time.Second }},
		{"parallelism", func(c *Config) { c.Parallelism = 0 }},
		{"request_timeout", func(c *Config) { c.RequestTimeout = 0 }},
		{"max_body_bytes", func(c *Config) { c.MaxBodyBytes = 0 }},
		{"max_redirects", func(c *Config) { c.MaxRedirects = -1 }},
		{"run_id", func(c *Config) { c.RunID = "../etc" }},
		{"include[0]", func(c *Config) { c.Include = []string{"(unclosed"} }},
		{"exclude[1]", func(c *Config) { c.Exclude = []string{"ok", "[z-a]"} }},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		tt.mutate(&cfg)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: invalid config accepted", tt.field)
			continue
		}
		if !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: error %q does not name the field", tt.field, err)
		}
		if _, err := New(cfg, newTestSink(), nil); err == nil {
			t.Errorf("%s: New accepted an invalid config", tt.field)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Parallelism, cfg.MaxBodyBytes = 0, -1
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "parallelism") || !strings.Contains(err.Error(), "max_body_bytes") {
		t.Errorf("error = %v, want both fields named", err)
	}
}

func TestNewRequiresSink(t *testing.T) {
	if _, err := New(DefaultConfig(), nil, nil); err == nil || !strings.Contains(err.Error(), "sink") {
		t.Errorf("error = %v", err)
	}
}
