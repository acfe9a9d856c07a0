package warc

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/archivist-project/archivist/archive"
)

// oldFormatFile is a capture WARC written by this package before the
// capture's fields moved from a metadata record into warcinfo (commit
// 0e0906e, from the exchange of testExchange with a link in its body): see
// testdata/README.md.
const oldFormatFile = "testdata/old-format.warc.gz"

// TestReadOldFormat reads a file of the old layout: the discovery fields
// come from its metadata record, whose outlink lines are still readable.
func TestReadOldFormat(t *testing.T) {
	data, err := os.ReadFile(oldFormatFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadCapture(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 {
		t.Errorf("problems in the old file: %v", c.Problems)
	}
	ex := c.Exchange
	if ex.Seed != "http://news.test/topic" || ex.Via != "http://news.test/topic" || ex.Depth != 1 || ex.RunID != "run-1" ||
		ex.UserAgent != "Archivist/test" || ex.Robots != (archive.RobotsDecision{Policy: "obey", Result: "allowed"}) {
		t.Errorf("discovery context of the old file: %+v", ex)
	}
	if len(ex.Hops) != 2 || ex.Hops[0].Status != 301 || ex.Final().Status != 200 || !bytes.Contains(ex.Final().Body, []byte("story</p>")) {
		t.Errorf("hops of the old file: %+v", ex.Hops)
	}
	if got := c.Metadata["outlink"]; !slices.Equal(got, []string{"http://news.test/a", "http://other.test/b"}) {
		t.Errorf("old outlink lines = %q", got)
	}
	if got := c.Metadata["capture-id"]; len(got) != 1 || got[0] != "20261127T010203Z-OLDFORMAT0" {
		t.Errorf("old capture-id = %q", got)
	}
	for _, f := range []string{"format", "conformsTo", "description"} {
		if len(c.Info[f]) != 1 {
			t.Errorf("the old warcinfo record's %s field was not read: %v", f, c.Info)
		}
	}
}

// TestDiscoveryPrefersMetadata: in an old file warcinfo's robots is the
// policy and the metadata record's robots the result; a warcinfo field
// of the new layout does not override the metadata record.
func TestDiscoveryPrefersMetadata(t *testing.T) {
	c := &Capture{
		Info:     map[string][]string{"robots": {"obey"}, "seed": {"http://info.test/"}, "hopsFromSeed": {"7"}},
		Metadata: map[string][]string{"robots": {"no-robots"}, "seed": {"http://meta.test/"}, "hopsFromSeed": {"2"}},
	}
	c.readDiscovery()
	if ex := c.Exchange; ex.Robots.Policy != "obey" || ex.Robots.Result != "no-robots" || ex.Seed != "http://meta.test/" || ex.Depth != 2 {
		t.Errorf("discovery = %+v", ex)
	}
}
