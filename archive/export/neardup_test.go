package export

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestSeedStoriesStaySeparate: the five stories of the seed topic page are
// five articles about one event; none may be taken for another's copy.
func TestSeedStoriesStaySeparate(t *testing.T) {
	seed := seedStories(t)
	names := []string{"toi", "ctv", "reuters", "aljazeera", "bt"}
	d := newNearDups()
	for _, n := range names {
		d.add(seed[n], nil)
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if s := d.similarity(i, j); s >= NearDupThreshold {
				t.Errorf("%s and %s: estimated resemblance %.2f, over the threshold %.2f", names[i], names[j], s, NearDupThreshold)
			}
		}
	}
	if c := d.clusters(); c.count != 5 {
		t.Errorf("the five seed stories form %d clusters, want 5", c.count)
	}
}

// TestSyndicatedCopiesCluster runs the whole export on an archive of the
// seed's stories plus syndicated copies: the Reuters dispatch as carried by
// two more outlets, and the Business Times' Reuters copy as carried by
// another; the other stories stay alone, and so do unrelated pages.
func TestSyndicatedCopiesCluster(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	m := exportTo(t, f, dir, "all.jsonl", Options{Format: JSONL})
	rows := readJSONL(t, dir+"/all.jsonl")
	if len(rows) != len(fixtureOrder()) {
		t.Fatalf("%d rows, want %d", len(rows), len(fixtureOrder()))
	}
	groups := map[string][]string{}
	for i, r := range rows {
		if got, want := f.key(r.CaptureID), fixtureOrder()[i]; got != want {
			t.Fatalf("row %d is %s, want %s (capture order)", i, got, want)
		}
		groups[r.ClusterID] = append(groups[r.ClusterID], f.key(r.CaptureID))
	}
	var got []string
	for id, members := range groups {
		sort.Strings(members)
		if !slices.Contains(members, f.key(id)) {
			t.Errorf("cluster id %s is not one of its members %v", id, members)
		}
		got = append(got, strings.Join(members, "+"))
	}
	sort.Strings(got)
	want := []string{
		"aljazeera",
		"bt+bt-copy",
		"ctv",
		"edge",
		"reuters+reuters-copy1+reuters-copy2+reuters-revisit",
		"toi+toi-v2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("clusters:\n got %v\nwant %v", got, want)
	}
	// The cluster id is the first captured member's id.
	for _, r := range rows {
		if k := f.key(r.CaptureID); strings.HasPrefix(k, "reuters") && r.ClusterID != f.ids["reuters"] {
			t.Errorf("%s: cluster id %s, want the first capture %s", k, f.key(r.ClusterID), "reuters")
		}
	}
	if nd := m.NearDuplicates; nd == nil || nd.Clusters != 6 || nd.RowsInClusters != 8 {
		t.Errorf("manifest near_duplicates = %+v, want 6 clusters, 8 rows in clusters", nd)
	}

	// --dedupe keeps one row a cluster: the earliest published (the
	// first copy, published before Reuters' own page), then the earliest
	// captured (toi before toi-v2, same publication date).
	exportTo(t, f, dir, "dedupe.jsonl", Options{Format: JSONL, Dedupe: true})
	var kept []string
	for _, r := range readJSONL(t, dir+"/dedupe.jsonl") {
		kept = append(kept, f.key(r.CaptureID))
	}
	if want := []string{"toi", "ctv", "aljazeera", "bt", "reuters-copy1", "edge"}; !slices.Equal(kept, want) {
		t.Errorf("--dedupe kept %v, want %v", kept, want)
	}
}

func TestNearDupShortTextsNeverCluster(t *testing.T) {
	d := newNearDups()
	d.add("Page not found", nil)
	d.add("Page not found", nil)
	d.add("", nil)
	long := strings.Repeat("the council met on monday to discuss the harbour budget and the new ferry timetable ", 3)
	d.add(long, nil)
	d.add(long+" and again", nil)
	c := d.clusters()
	if c.first(1) != 1 || c.first(2) != 2 {
		t.Errorf("short texts clustered: %v", c.parent)
	}
	if c.first(4) != 3 {
		t.Errorf("near-identical long texts not clustered: %v", c.parent)
	}
	if c.count != 4 || c.inMulti != 2 {
		t.Errorf("count %d, in clusters %d; want 4 and 2", c.count, c.inMulti)
	}
}

// TestNearDupIdenticalBucket: many identical texts land in one LSH bucket;
// they must all join one cluster without comparing every pair.
func TestNearDupIdenticalBucket(t *testing.T) {
	d := newNearDups()
	text := strings.Repeat("a wire story carried word for word by every outlet in the region today ", 4)
	for range 3000 {
		d.add(text, nil)
	}
	c := d.clusters()
	if c.count != 1 || c.inMulti != 3000 {
		t.Errorf("3000 identical texts: %d clusters, %d in clusters; want 1 and 3000", c.count, c.inMulti)
	}
}
