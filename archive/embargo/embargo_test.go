package embargo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

var t0 = time.Date(2025, 7, 8, 12, 0, 0, 0, time.UTC)

func TestAddHideRemovePersist(t *testing.T) {
	dir := t.TempDir()
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 0 || l.Hidden("news.test/a", "C1") {
		t.Fatal("a missing file must be an empty list that hides nothing")
	}
	byID, err := l.Add(Request{CaptureID: "C1", Reason: "court order 12/2025", Who: "legal"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	byURL, err := l.Add(Request{URL: "https://www.news.test/story/?utm_source=x", Reason: "takedown", Who: "author"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if byURL.URLKey != "news.test/story" {
		t.Errorf("url key = %q, want the normalised key news.test/story", byURL.URLKey)
	}
	if _, err := l.Add(Request{Host: "WWW.Private.test", Reason: "privacy", Who: "dpo"}, t0); err != nil {
		t.Fatal(err)
	}
	if byID.ID == byURL.ID {
		t.Errorf("two entries added at one instant share the id %s", byID.ID)
	}
	cases := []struct {
		key, id string
		want    bool
	}{
		{"news.test/a", "C1", true},         // by capture id
		{"news.test/a", "C2", false},        // another capture of the page
		{"news.test/story", "C9", true},     // by page
		{"news.test/story2", "C9", false},   // a page whose key merely starts alike
		{"private.test/x", "C3", true},      // by host
		{"a.b.private.test/x", "C3", true},  // subdomain
		{"notprivate.test/x", "C3", false},  // a host that merely ends alike
		{"private.test:8080/x", "C3", true}, // with a port
	}
	for _, c := range cases {
		if got := l.Hidden(c.key, c.id); got != c.want {
			t.Errorf("Hidden(%q, %q) = %v, want %v", c.key, c.id, got, c.want)
		}
	}
	// The canonical key counts too.
	if !l.HiddenEntry(catalog.Entry{CaptureID: "C5", URLKey: "other.test/amp/story", CanonicalKey: "news.test/story"}) {
		t.Error("an entry whose canonical key is embargoed is not hidden")
	}

	// The file holds the reason, who and when; a fresh Load sees it all.
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 3 || f.Entries[0].Reason != "court order 12/2025" || f.Entries[0].Who != "legal" || !f.Entries[0].Added.Equal(t0) {
		t.Fatalf("file entries = %+v", f.Entries)
	}
	l2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !l2.Hidden("news.test/a", "C1") {
		t.Error("reloaded list lost the capture embargo")
	}

	// Another process removes an entry: Refresh notices.
	if _, ok, err := l2.Remove(byID.ID); err != nil || !ok {
		t.Fatalf("remove: ok=%v err=%v", ok, err)
	}
	if err := l.Refresh(); err != nil {
		t.Fatal(err)
	}
	if l.Hidden("news.test/a", "C1") {
		t.Error("after another process lifted the embargo, Refresh still hides the capture")
	}
	if _, ok, _ := l.Remove("e-nope"); ok {
		t.Error("removing an unknown id reported success")
	}
	// No temp files are left behind.
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("data dir holds %d files, want only %s", len(names), FileName)
	}
}

func TestAddRejects(t *testing.T) {
	l, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{Reason: "r", Who: "w"}, "exactly one"},
		{Request{CaptureID: "C", URL: "http://a.test/", Reason: "r", Who: "w"}, "exactly one"},
		{Request{CaptureID: "C", Who: "w"}, "reason"},
		{Request{CaptureID: "C", Reason: "r"}, "who"},
		{Request{URL: "ftp://a.test/", Reason: "r", Who: "w"}, "url"},
		{Request{Host: "a.test/x", Reason: "r", Who: "w"}, "not a host"},
	} {
		_, err := l.Add(c.r, t0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Add(%+v) error = %v, want one mentioning %q", c.r, err, c.want)
		}
	}
	if l.Len() != 0 {
		t.Error("a rejected request was added")
	}
}

func TestDamagedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "fix the JSON") {
		t.Fatalf("Load of a damaged file: %v, want an error saying how to fix it", err)
	}
}
