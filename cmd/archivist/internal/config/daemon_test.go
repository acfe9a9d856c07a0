package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const daemonYAML = `data: /srv/archivist
sources:
  - name: daily8-hikvision
    url: https://daily8.example/topics/hikvisioncanada
    kind: page
    interval: 10m
    max_hops: 2
    tags: [hikvision, canada]
    exclude: ['/video/']
  - name: cbc-feed
    url: https://cbc.example/rss/politics
    kind: feed
    revisit: false
revisit_schedule: [2h, 1d12h]
hosts:
  cbc.example: {parallelism: 1, delay: 5s}
serve:
  listen: 127.0.0.1:9090
  drain_timeout: 45s
log:
  format: json
`

func TestDaemonSections(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(daemonYAML, "1d12h", "36h", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 2 {
		t.Fatalf("sources = %+v", c.Sources)
	}
	s0, s1 := c.Sources[0], c.Sources[1]
	if s0.Kind != "page" || time.Duration(s0.Interval) != 10*time.Minute || s0.Hops() != 2 || !s0.Revisits() || strings.Join(s0.Tags, ",") != "hikvision,canada" {
		t.Errorf("source 0 = %+v", s0)
	}
	// Defaults fill what the second source leaves out.
	if s1.Kind != "feed" || time.Duration(s1.Interval) != DefaultSourceInterval || s1.Hops() != 1 || s1.Revisits() {
		t.Errorf("source 1 = %+v", s1)
	}
	if len(c.RevisitSchedule) != 2 || time.Duration(c.RevisitSchedule[1]) != 36*time.Hour {
		t.Errorf("revisit schedule = %v", c.RevisitSchedule)
	}
	if l := c.Hosts["cbc.example"]; l.Parallelism != 1 || time.Duration(l.Delay) != 5*time.Second {
		t.Errorf("hosts = %+v", c.Hosts)
	}
	if c.Serve.Listen != "127.0.0.1:9090" || time.Duration(c.Serve.DrainTimeout) != 45*time.Second || c.Serve.Workers != 8 || time.Duration(c.Serve.Lease) != 5*time.Minute {
		t.Errorf("serve = %+v", c.Serve)
	}
}

func TestDaemonDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	for i, d := range c.RevisitSchedule {
		if time.Duration(d) != want[i] {
			t.Errorf("revisit_schedule[%d] = %s, want %s", i, time.Duration(d), want[i])
		}
	}
	if c.Serve.Listen != "127.0.0.1:8080" {
		t.Errorf("serve.listen = %q: the default must be loopback", c.Serve.Listen)
	}
	// An empty list turns revisits off.
	if err := Parse([]byte("revisit_schedule: []\n"), &c); err != nil || len(c.RevisitSchedule) != 0 {
		t.Errorf("revisit_schedule: [] gives %v, %v", c.RevisitSchedule, err)
	}
}

// TestDaemonValidation is the table of bad values: each names its field,
// the line it is on and a hint.
func TestDaemonValidation(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, field, line, hint string
	}{
		{"unknown source key", "sources:\n  - name: a\n    url: http://a.example/\n    intervall: 5m\n", "intervall", "line 4", "not found"},
		{"bad kind", "sources:\n  - name: a\n    url: http://a.example/\n    kind: rss\n", "sources[0].kind", "line 4", "page, feed, sitemap or auto"},
		{"missing name", "sources:\n  - url: http://a.example/\n", "sources[0].name", "line 2", "needs a name"},
		{"bad name", "sources:\n  - name: CBC News\n    url: http://a.example/\n", "sources[0].name", "line 2", "lower-case"},
		{"duplicate name", "sources:\n  - name: a\n    url: http://a.example/\n  - name: a\n    url: http://b.example/\n", "sources[1].name", "line 4", "unique"},
		{"bad url", "sources:\n  - name: a\n    url: ftp://a.example/\n", "sources[0].url", "line 3", "ftp"},
		{"short interval", "sources:\n  - name: a\n    url: http://a.example/\n    interval: 10ms\n", "sources[0].interval", "line 4", "at most once a second"},
		{"bad interval", "sources:\n  - name: a\n    url: http://a.example/\n    interval: often\n", "", "line 4", "not a duration"},
		{"hops", "sources:\n  - name: a\n    url: http://a.example/\n    max_hops: 11\n", "sources[0].max_hops", "line 4", "1 (the articles a source lists) to 10"},
		{"host port", "hosts:\n  example.com:8080: {delay: 1s}\n", "hosts.example.com:8080", "line 2", "write the host alone"},
		{"regexp", "sources:\n  - name: a\n    url: http://a.example/\n    include: ['(']\n", "sources[0].include[0]", "line 4", "regular expression"},
		{"schedule order", "revisit_schedule: [6h, 1h]\n", "revisit_schedule[1]", "line 1", "increasing order"},
		{"host case", "hosts:\n  WWW.Example.com: {delay: 1s}\n", "hosts.WWW.Example.com", "line 2", "example.com"},
		{"host parallelism", "hosts:\n  example.com: {parallelism: 100}\n", "hosts.example.com.parallelism", "line 2", "1 to 64"},
		{"host delay", "hosts:\n  example.com:\n    delay: -1s\n", "hosts.example.com.delay", "line 3", "negative"},
		{"listen", "serve:\n  listen: localhost\n", "serve.listen", "line 2", "127.0.0.1:8080"},
		{"listen everywhere", "serve:\n  listen: :8080\n", "serve.listen", "line 2", "every interface"},
		{"drain", "serve:\n  drain_timeout: 1h\n", "serve.drain_timeout", "line 2", "at most 10m"},
		{"lease", "serve:\n  lease: 1s\n", "serve.lease", "line 2", "at least 10s"},
		{"workers", "serve:\n  workers: 0\n", "serve.workers", "line 2", "1 to 1024"},
		{"log format", "log:\n  format: xml\n", "log.format", "line 2", "text, json"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantConfigError(t, tc.yaml, tc.field, tc.line, tc.hint) })
	}
}

func TestSourcesFile(t *testing.T) {
	rev := false
	hops := 3
	in := []Source{
		{Name: "a", URL: "http://a.example/topic", Tags: []string{"x"}},
		{Name: "b", URL: "http://b.example/feed.xml", Kind: "feed", Interval: Duration(time.Hour), MaxHops: &hops, Revisit: &rev},
	}
	for i := range in {
		in[i].fillDefaults()
	}
	data, err := MarshalSources(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "kind: auto") || strings.Contains(string(data), "interval: 15m") {
		t.Errorf("defaults written out:\n%s", data)
	}
	out, err := ParseSources(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(out) != 2 || out[0].Kind != "auto" || out[0].Hops() != 1 || !out[0].Revisits() ||
		out[1].Kind != "feed" || time.Duration(out[1].Interval) != time.Hour || out[1].Hops() != 3 || out[1].Revisits() {
		t.Errorf("round trip: %+v", out)
	}
	if _, err := ParseSources([]byte("sources:\n  - name: a\n    url: nope\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad sources file: %v", err)
	}
	var fe *FieldError
	if _, err := ParseSources([]byte("sources:\n  - name: a\n    url: http://a.example/\n    kind: x\n")); !errors.As(err, &fe) || fe.Line != 4 {
		t.Errorf("FieldError = %+v", fe)
	}
	merged, err := MergeSources(in[:1], in[1:])
	if err != nil || len(merged) != 2 {
		t.Errorf("merge: %v %v", merged, err)
	}
	if _, err := MergeSources(in, in[1:]); err == nil || !strings.Contains(err.Error(), "b") {
		t.Errorf("duplicate across files: %v", err)
	}
}

// wantConfigError parses and validates yaml over the defaults and checks
// that it is refused with an error containing every one of wants (the
// field, its line, the hint).
func wantConfigError(t *testing.T, yaml string, wants ...string) {
	t.Helper()
	c := Default()
	err := Parse([]byte(yaml), &c)
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
