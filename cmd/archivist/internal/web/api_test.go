package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/versions"
)

func TestSearchAPI(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL
	var res searchResult
	resp, body := get(t, srv+"/api/search?q=court")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	decodeJSON(t, body, &res)
	if len(res.Hits) < 3 {
		t.Fatalf("q=court: %d hits, want the story versions and the ruling", len(res.Hits))
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Score > res.Hits[i-1].Score {
			t.Errorf("hits not ranked: %v before %v", res.Hits[i-1].Score, res.Hits[i].Score)
		}
	}
	h := res.Hits[0]
	if !strings.Contains(h.Snippet, "[") || h.Links.Page != "/capture/"+h.CaptureID || !strings.HasPrefix(h.Links.Replay, "/web/") {
		t.Errorf("hit: snippet %q, links %+v", h.Snippet, h.Links)
	}

	// The query syntax: a phrase, OR, exclusion.
	count := func(params string) int {
		t.Helper()
		var r searchResult
		resp, body := get(t, srv+"/api/search?"+params)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", params, resp.StatusCode, body)
		}
		decodeJSON(t, body, &r)
		return len(r.Hits)
	}
	for params, want := range map[string]int{
		"q=" + url.QueryEscape(`"judicial review"`):                     1,
		"q=" + url.QueryEscape(`"review judicial"`):                     0,
		"q=" + url.QueryEscape(`hearing OR autumn`):                     4, // story2, story3, ruling, sub
		"q=" + url.QueryEscape(`court -hearing`):                        1, // story1
		"q=court&host=other.test":                                       1,
		"q=court&lang=fr":                                               1,
		"q=court&author=ruiz":                                           3,
		"q=court&since=2025-07-08T10:30:00Z&until=2025-07-08T11:00:00Z": 2,
		"q=court&since=20250708103000&until=2025070811":                 2,
		"q=court&published_until=2025-07-07":                            1,
		"q=court&published_since=2025-07-08":                            3,
		"q=court&source=nope":                                           0,
		"q=court&type=other":                                            0,
	} {
		if got := count(params); got != want {
			t.Errorf("/api/search?%s: %d hits, want %d", params, got, want)
		}
	}

	// Paging: limit and next_offset walk every hit once.
	seen := map[string]bool{}
	for off := 0; ; {
		var r searchResult
		_, body := get(t, srv+"/api/search?q=court&limit=1&offset="+strconv.Itoa(off))
		decodeJSON(t, body, &r)
		for _, h := range r.Hits {
			if seen[h.CaptureID] {
				t.Errorf("hit %s on two pages", h.CaptureID)
			}
			seen[h.CaptureID] = true
		}
		if r.NextOffset == nil {
			break
		}
		off = *r.NextOffset
	}
	if len(seen) != len(res.Hits) {
		t.Errorf("paging saw %d hits, one page of 20 has %d", len(seen), len(res.Hits))
	}

	for params, want := range map[string]string{
		"":                        "give q=",
		"q=court&since=yesterday": "since",
		"q=court&type=blog":       "type",
		"q=court&limit=0":         "limit",
	} {
		resp, body := get(t, srv+"/api/search?"+params)
		wantError(t, resp, body, http.StatusBadRequest, want)
	}
}

func TestCapturesAPI(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL
	var list struct {
		Captures   []captureJSON
		NextOffset *int `json:"next_offset"`
	}
	_, body := get(t, srv+"/api/captures?url="+url.QueryEscape(storyURL))
	decodeJSON(t, body, &list)
	if len(list.Captures) != 3 || list.Captures[0].CaptureID != f.ids["story1"] || list.Captures[2].Kind != "revisit" || list.NextOffset != nil {
		t.Fatalf("captures of the story: %+v", list)
	}
	_, body = get(t, srv+"/api/captures?limit=2&offset=1")
	decodeJSON(t, body, &list)
	if len(list.Captures) != 2 || list.Captures[0].CaptureID != f.ids["ruling"] || list.NextOffset == nil || *list.NextOffset != 3 {
		t.Errorf("paged list: %+v", list)
	}

	var c captureJSON
	resp, body := get(t, srv+"/api/captures/"+f.ids["ruling"])
	decodeJSON(t, body, &c)
	if resp.StatusCode != http.StatusOK || c.Title != "Ottawa ruling awaits judicial review" || c.Language != "fr" || c.Timestamp != "20250708103000" {
		t.Errorf("capture: %+v", c)
	}
	for view, want := range map[string]string{
		"article":    `"word_count":`,
		"text":       "Ottawa ruling awaits judicial review\n\n",
		"provenance": `"schema":"archivist.provenance/v1"`,
		"replay":     "archivist-banner",
	} {
		resp, body := get(t, srv+"/api/captures/"+f.ids["ruling"]+"/"+view)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("view %s: status %d, lacks %q", view, resp.StatusCode, want)
		}
		if (view == "article" || view == "provenance") && (resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || !json.Valid(body)) {
			t.Errorf("view %s: %s, not JSON: %.80q", view, resp.Header.Get("Content-Type"), body)
		}
		if resp.Header.Get("Memento-Datetime") == "" {
			t.Errorf("view %s has no Memento-Datetime", view)
		}
	}
	resp, body = get(t, srv+"/api/captures/"+f.ids["ruling"]+"/original", "Accept-Encoding", "gzip")
	if string(body) != string(f.rulingGzip) {
		t.Errorf("original view: %d bytes, want the archived %d", len(body), len(f.rulingGzip))
	}
	resp, body = get(t, srv+"/api/captures/"+f.ids["ruling"]+"/pdf")
	wantError(t, resp, body, http.StatusNotFound, "article, text")
	resp, body = get(t, srv+"/api/captures/20250101T000000Z-NOPENOPENO")
	wantError(t, resp, body, http.StatusNotFound, "no capture")
	resp, body = get(t, srv+"/api/nothing")
	wantError(t, resp, body, http.StatusNotFound, "README")
}

func TestVersionsAndDiffAPI(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL
	var vs struct {
		URL      string
		Captures int
		Contents int
		Versions []versions.Version
	}
	resp, body := get(t, srv+"/api/versions?url="+url.QueryEscape(storyURL))
	decodeJSON(t, body, &vs)
	if resp.StatusCode != http.StatusOK || vs.Captures != 3 || vs.Contents != 2 || len(vs.Versions) != 3 {
		t.Fatalf("versions: %+v", vs)
	}
	if vs.Versions[2].Kind != versions.KindRevisit || vs.Versions[1].Changed[0] != versions.Headline {
		t.Errorf("chain: %+v", vs.Versions)
	}

	var d diffResult
	resp, body = get(t, srv+"/api/diff?url="+url.QueryEscape(storyURL))
	decodeJSON(t, body, &d)
	if resp.StatusCode != http.StatusOK || d.From == nil || d.From.CaptureID != f.ids["story1"] || d.To.CaptureID != f.ids["story3"] || d.Diff == nil {
		t.Fatalf("default diff: %s", body)
	}
	if d.Diff.Headline == nil || d.Diff.Headline.To != "Hikvision challenges Canada's shutdown order in court" || d.Diff.Stats.ParagraphsAdded != 1 {
		t.Errorf("diff: %+v", d.Diff)
	}
	// By capture id and by time; the order of from and to does not matter.
	_, body = get(t, srv+"/api/diff?url="+url.QueryEscape(storyURL)+"&from="+f.ids["story2"]+"&to=2025-07-08T10:00:00Z")
	decodeJSON(t, body, &d)
	if d.From.CaptureID != f.ids["story1"] || d.To.CaptureID != f.ids["story2"] {
		t.Errorf("diff by id and time: from %s to %s", d.From.CaptureID, d.To.CaptureID)
	}
	// Same content: no diff, and a note.
	_, body = get(t, srv+"/api/diff?url="+url.QueryEscape(storyURL)+"&to="+f.ids["story1"])
	decodeJSON(t, body, &d)
	if d.Diff != nil || d.Note == "" {
		t.Errorf("first capture alone: %s", body)
	}
	resp, body = get(t, srv+"/api/diff?url="+url.QueryEscape(storyURL)+"&from="+f.ids["story2"]+"&to="+f.ids["story2"])
	wantError(t, resp, body, http.StatusBadRequest, "same capture")
	resp, body = get(t, srv+"/api/diff?url="+url.QueryEscape(storyURL)+"&from=last-tuesday")
	wantError(t, resp, body, http.StatusBadRequest, "capture id")
	resp, body = get(t, srv+"/api/versions?url=http://never.test/")
	wantError(t, resp, body, http.StatusNotFound, "no capture")
	resp, body = get(t, srv+"/api/versions")
	wantError(t, resp, body, http.StatusBadRequest, "url=")
}
