package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
)

// TestStatusFlagsStalledSource writes a frontier with one source that
// finds something new every hour and one that found nothing for nine days
// (it used to find something daily), then runs `status`: the second is
// STALLED, the exit status is 3, a configured source the daemon has not
// seen yet is listed as NEW, and --json carries the same.
func TestStatusFlagsStalledSource(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	fr, err := frontiersqlite.Open(ctx, filepath.Join(data, frontierFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	specs := []frontier.SourceSpec{
		{Name: "busy", URL: "http://busy.test/topic", Kind: "page", Interval: time.Hour},
		{Name: "quiet", URL: "http://quiet.test/feed", Kind: "feed", Interval: time.Hour},
	}
	if err := fr.SyncSources(ctx, specs, now.Add(-10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	poll := func(source string, ago time.Duration, newURLs int) {
		t.Helper()
		at := now.Add(-ago)
		var found []frontier.Discovered
		for i := range newURLs {
			u := "http://" + source + ".test/story-" + at.Format("20060102150405") + "-" + string(rune('a'+i))
			found = append(found, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: source, Kind: "feed", FoundAt: at}})
		}
		if len(found) > 0 {
			if _, err := fr.Discover(ctx, found); err != nil {
				t.Fatal(err)
			}
		}
		if err := fr.RecordPoll(ctx, frontier.PollResult{Source: source, At: at, OK: true, Result: "polled", HTTPStatus: 200, Found: newURLs, New: newURLs}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []int{4, 3, 2, 1} {
		poll("busy", time.Duration(h)*time.Hour, 2)
	}
	for _, d := range []int{12, 11, 10, 9} {
		poll("quiet", time.Duration(d)*24*time.Hour, 1)
	}
	poll("quiet", time.Hour, 0)
	fr.Close()

	cfgPath := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgPath, []byte("data: "+data+"\nsources:\n  - {name: later, url: 'http://later.test/', kind: page}\n"), 0o644)
	out, errOut, code := run(t, nil, "status", "--config", cfgPath)
	if code != ExitPartial || !strings.Contains(errOut, "1 of 3 sources stalled") {
		t.Errorf("status: exit %d, stderr %s", code, errOut)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = line
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(rows["quiet"]), "STALLED") || strings.Contains(rows["busy"], "STALLED") {
		t.Errorf("stall flags:\n%s", out)
	}
	if !regexp.MustCompile(`busy\s+page\s+1h ago\s+polled\s+8\s+0\s+8\s+0\s+0\s+1h ago`).MatchString(rows["busy"]) {
		t.Errorf("busy row: %q", rows["busy"])
	}
	if !strings.Contains(rows["later"], "NEW") || !strings.Contains(rows["later"], "never") {
		t.Errorf("a configured source unknown to the daemon: %q", rows["later"])
	}
	if !strings.Contains(out, "STALLED quiet: nothing new since") || !strings.Contains(out, "usually finds something every 24h") {
		t.Errorf("no stall explanation:\n%s", out)
	}

	jout, _, _ := run(t, nil, "status", "--data", data, "--json")
	var st struct {
		Sources []statusRow         `json:"sources"`
		Queue   frontier.QueueStats `json:"queue"`
	}
	if err := json.Unmarshal([]byte(jout), &st); err != nil {
		t.Fatalf("%v\n%s", err, jout)
	}
	if len(st.Sources) != 2 || st.Sources[0].Name != "busy" || st.Sources[0].Stalled || !st.Sources[1].Stalled ||
		st.Sources[0].Found != 8 || st.Sources[0].Pending != 8 || st.Sources[1].UsualGap != "24h" || st.Queue.Due+st.Queue.Scheduled < 12 {
		t.Errorf("status --json: %+v", st)
	}

	if _, errOut, code := run(t, nil, "status", "--data", t.TempDir()); code != ExitUsage || !strings.Contains(errOut, "archivist serve") {
		t.Errorf("status without a frontier: exit %d %s", code, errOut)
	}
}
