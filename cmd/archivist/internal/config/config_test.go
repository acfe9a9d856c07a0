package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOverridesDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("data: /tmp/x\ncrawl:\n  depth: 2\n  per_host_delay: 250ms\n  max_body_bytes: 5MiB\n  exclude: ['/video/']\n"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "/tmp/x" || c.Crawl.Depth != 2 || time.Duration(c.Crawl.PerHostDelay) != 250*time.Millisecond || c.Crawl.MaxBodyBytes != 5<<20 {
		t.Errorf("loaded %+v", c)
	}
	if !c.Crawl.ObeyRobots || c.Crawl.PerHostParallelism != 2 {
		t.Errorf("defaults lost: %+v", c.Crawl)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestUnknownKeyNamesLineAndFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("crawl:\n  depht: 2\n"), 0o644)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "depht") || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v", err)
	}
}

func TestBadValues(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"crawl:\n  per_host_delay: soon\n", "not a duration"},
		{"crawl:\n  max_body_bytes: lots\n", "not a size"},
	} {
		c := Default()
		err := Parse([]byte(tc.yaml), &c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
	c := Default()
	c.Crawl.Depth = -1
	c.Crawl.Include = []string{"("}
	c.Log.Level = "loud"
	err := c.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want FieldErrors", err)
	}
	for _, f := range []string{"crawl.depth", "crawl.include[0]", "log.level"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not name %s: %v", f, err)
		}
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	c := Default()
	if err := Parse(nil, &c); err != nil {
		t.Fatal(err)
	}
	if c.Crawl.Depth != 1 {
		t.Errorf("depth = %d", c.Crawl.Depth)
	}
}
