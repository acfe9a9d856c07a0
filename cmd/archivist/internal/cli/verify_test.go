package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive"
)

// TestVerifyRepair: with the catalog gone (an empty one in its place),
// verify reports every capture as an orphan and exits 3; --repair indexes
// them, says so and exits 0; the catalog is then what it was, and a
// capture that lost an object is reported as what repair cannot fix and
// left alone, never deleted.
func TestVerifyRepair(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)
	before := mustRun(t, env, "list", "--json")

	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(data, catalogFile+suffix))
	}
	mustRun(t, env, "list") // opens, and so creates, an empty catalog
	out, errOut, code := run(t, env, "verify")
	if code != ExitPartial || strings.Count("\n"+out, "\norphan ") != 6 || !strings.Contains(errOut, "verify --repair") {
		t.Fatalf("verify with an empty catalog: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = run(t, env, "verify", "--repair")
	if code != ExitOK || !strings.Contains(out, "6 repaired") || strings.Count(out, "(repaired: indexed into the catalog)") != 6 {
		t.Fatalf("verify --repair: exit %d\n%s\n%s", code, out, errOut)
	}
	if after := mustRun(t, env, "list", "--json"); after != before {
		t.Errorf("the repaired catalog differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if out := mustRun(t, env, "verify"); !strings.Contains(out, ": 0 problems") {
		t.Errorf("verify after repair:\n%s", out)
	}

	// A catalogued capture whose provenance record is gone: reported as
	// missing, not repairable (said so), and the rest of it kept.
	var victim string
	filepath.WalkDir(filepath.Join(data, localStore, archive.CapturesPrefix), func(path string, d os.DirEntry, err error) error {
		if err == nil && victim == "" && d.Name() == archive.ProvenanceName {
			victim = path
		}
		return nil
	})
	if err := os.Rename(victim, filepath.Join(t.TempDir(), "provenance.json")); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, env, "verify", "--repair")
	if code != ExitPartial || !strings.Contains(out, "cannot repair") || !strings.Contains(out, "missing ") {
		t.Errorf("verify --repair of a capture without provenance: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(victim), archive.WARCName)); err != nil {
		t.Errorf("repair deleted the capture's WARC: %v", err)
	}
}
