package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourcesCommands(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("data: "+data+"\nsources:\n  - {name: from-config, url: 'https://a.example/topic', kind: page}\n"), 0o644)

	out := mustRun(t, nil, "sources", "add", "--config", cfg, "cbc", "https://cbc.example/rss", "--kind", "feed", "--interval", "30m", "--tag", "canada", "--tag", "politics", "--no-revisit")
	if !strings.Contains(out, "added source cbc (feed, every 30m)") {
		t.Errorf("add: %s", out)
	}
	mustRun(t, nil, "sources", "add", "--data", data, "wire", "https://wire.example/sitemap.xml", "--kind", "sitemap")
	info, err := os.Stat(filepath.Join(data, sourcesFileName))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("sources file: %v, mode %v (the daemon's own user must read it)", err, info.Mode())
	}

	var rows []sourceRow
	for _, line := range strings.Split(strings.TrimSpace(mustRun(t, nil, "sources", "list", "--config", cfg, "--json")), "\n") {
		var r sourceRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 3 || rows[0].Name != "from-config" || rows[0].From != "config" ||
		rows[1].Name != "cbc" || rows[1].From != "data" || rows[1].Kind != "feed" || rows[1].Interval != "30m" || rows[1].Revisit || strings.Join(rows[1].Tags, ",") != "canada,politics" ||
		rows[2].Name != "wire" || rows[2].Interval != "15m" || !rows[2].Revisit || rows[2].MaxHops != 1 {
		t.Errorf("list: %+v", rows)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sources", "add", "--config", cfg, "from-config", "https://b.example/"}, "already a source in config"},
		{[]string{"sources", "add", "--data", data, "cbc", "https://b.example/"}, "sources remove cbc"},
		{[]string{"sources", "add", "--data", data, "Bad Name", "https://b.example/"}, "not a valid name"},
		{[]string{"sources", "add", "--data", data, "x", "https://b.example/", "--kind", "rss"}, "page, feed, sitemap or auto"},
		{[]string{"sources", "add", "--data", data, "x", "mailto:a@b"}, "url"},
		{[]string{"sources", "add", "--data", data, "x"}, "NAME and URL"},
		{[]string{"sources", "remove", "--config", cfg, "from-config"}, "defined in config"},
		{[]string{"sources", "remove", "--data", data, "nope"}, "no source named"},
		{[]string{"sources", "frobnicate"}, "unknown subcommand"},
	} {
		if _, errOut, code := run(t, nil, tc.args...); code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %s (want %q)", tc.args, code, errOut, tc.want)
		}
	}

	out = mustRun(t, nil, "sources", "remove", "--data", data, "cbc")
	if !strings.Contains(out, "removed source cbc") {
		t.Errorf("remove: %s", out)
	}
	if got := mustRun(t, nil, "sources", "list", "--data", data); strings.Contains(got, "cbc") || !strings.Contains(got, "wire") {
		t.Errorf("after remove:\n%s", got)
	}

	// A damaged sources file is reported with its path and line.
	os.WriteFile(filepath.Join(data, sourcesFileName), []byte("sources:\n  - name: a\n    url: https://a.example/\n    kind: weird\n"), 0o644)
	if _, errOut, code := run(t, nil, "sources", "list", "--data", data); code != ExitUsage || !strings.Contains(errOut, "line 4") || !strings.Contains(errOut, sourcesFileName) {
		t.Errorf("damaged sources file: exit %d %s", code, errOut)
	}
}
