package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes builds the real binary and checks that bad input gets a
// clear message and a nonzero exit status.
func TestExitCodes(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "archivist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"crawl", "--data", data}, 2, "SEED_URL"},
		{[]string{"crawl", "--data", data, "--depth", "99", "http://127.0.0.1:1/"}, 2, "crawl.depth"},
		{[]string{"crawl", "--data", data, "ftp://example.test/x", "not a url"}, 2, "ftp://example.test/x"},
		{[]string{"crawl", "--data", data, "--allow-private-networks", "not a url", "http://127.0.0.1:1/"}, 3, "not a url"},
		{[]string{"crawl", "--data", data, "--allow-private-networks", "http://127.0.0.1:1/"}, 3, "127.0.0.1:1"},
		{[]string{"crawl", "--data", data, "http://127.0.0.1:1/"}, 3, "allow_private_networks"},
		{[]string{"list", "--data", filepath.Join(data, "missing")}, 2, "no archive"},
		{[]string{"get", "--data", data, "http://nowhere.test/"}, 3, "no capture"},
		{[]string{"get", "--data", data, "--format", "pdf", "http://nowhere.test/"}, 2, "--format"},
		{[]string{"extract", filepath.Join(data, "no-such-file.html")}, 1, "no-such-file.html"},
		{[]string{"version"}, 0, "archivist"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("archivist %s: exit %d, output:\n%s\nwant exit %d and %q", strings.Join(tc.args, " "), code, out, tc.code, tc.want)
		}
	}
}
