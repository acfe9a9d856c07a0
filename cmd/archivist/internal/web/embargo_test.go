package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/embargo"
)

// captureIDRE finds capture ids in JSON answers (not previous_capture_id).
var captureIDRE = regexp.MustCompile(`"capture_id": ?"([^"]+)"`)

func TestEmbargoHidesEverywhere(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.AdminToken = adminToken
	srv := serve(t, opts).URL
	admin := []string{"Authorization", "Bearer " + adminToken}

	visible := func(what string) map[string]bool {
		t.Helper()
		got := map[string]bool{}
		mark := func(body []byte) {
			for _, m := range captureIDRE.FindAllStringSubmatch(string(body), -1) {
				for name, id := range f.ids {
					if m[1] == id {
						got[name] = true
					}
				}
			}
		}
		_, body := get(t, srv+"/api/search?q=court")
		mark(body)
		_, body = get(t, srv+"/cdx?url=*.test&matchType=domain&output=json")
		mark(body)
		_, body = get(t, srv+"/api/captures")
		mark(body)
		return got
	}
	if v := visible("before"); !v["ruling"] || !v["story2"] {
		t.Fatalf("before any embargo: %v", v)
	}

	// Embargo a page (by a variant of its URL) and one capture.
	resp, body := do(t, http.MethodPost, srv+"/api/embargo", `{"url": "https://www.other.test/world/ottawa-ruling/?utm_source=x", "reason": "court order 2025-114", "who": "legal desk"}`, admin...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", resp.StatusCode, body)
	}
	var page embargo.Entry
	decodeJSON(t, body, &page)
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", `{"capture_id": "`+f.ids["story2"]+`", "reason": "privacy complaint", "who": "dpo"}`, admin...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", resp.StatusCode, body)
	}
	v := visible("after")
	if v["ruling"] || v["story2"] || !v["story1"] || !v["story3"] {
		t.Errorf("after embargo of ruling and story2, visible: %v", v)
	}
	// Direct access answers as if the capture did not exist.
	for _, p := range []string{
		"/web/20250708103000/" + rulingURL, "/web/20250708103000id_/" + rulingURL, "/timemap/link/" + rulingURL,
		"/api/captures/" + f.ids["ruling"], "/api/captures/" + f.ids["story2"] + "/text", "/api/versions?url=" + url.QueryEscape(rulingURL),
	} {
		resp, body := get(t, srv+p)
		wantError(t, resp, body, http.StatusNotFound, "no capture")
	}
	if resp, _ := get(t, srv+"/capture/"+f.ids["ruling"]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("UI page of an embargoed capture: status %d", resp.StatusCode)
	}
	// The nearest capture skips the hidden one; the chain and TimeMap lose it.
	resp, _ = get(t, srv+"/web/20250708111000/"+storyURL)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/web/20250708120000/") {
		t.Errorf("nearest 11:10 with story2 hidden: Location %q, want the 12:00 capture", loc)
	}
	_, body = get(t, srv+"/timemap/link/"+storyURL)
	if n := len(byRel(parseLinks(t, string(body)), "memento")); n != 2 {
		t.Errorf("TimeMap lists %d mementos with one hidden, want 2", n)
	}
	var vs struct{ Captures int }
	_, body = get(t, srv+"/api/versions?url="+url.QueryEscape(storyURL))
	decodeJSON(t, body, &vs)
	if vs.Captures != 2 {
		t.Errorf("versions with one hidden: %d captures", vs.Captures)
	}

	// The list keeps reason, who and when, on disk.
	var list struct{ Entries []embargo.Entry }
	_, body = get(t, srv+"/api/embargo", admin...)
	decodeJSON(t, body, &list)
	if len(list.Entries) != 2 || list.Entries[0].Reason != "court order 2025-114" || list.Entries[0].Who != "legal desk" || list.Entries[0].URLKey != "other.test/world/ottawa-ruling" || list.Entries[0].Added.IsZero() {
		t.Errorf("embargo list: %+v", list.Entries)
	}
	data, err := os.ReadFile(filepath.Join(f.dir, embargo.FileName))
	if err != nil || !json.Valid(data) || !strings.Contains(string(data), "court order 2025-114") {
		t.Errorf("embargo file: %v %s", err, data)
	}

	// Lifting restores.
	resp, body = do(t, http.MethodDelete, srv+"/api/embargo/"+page.ID, "", admin...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("remove: %d %s", resp.StatusCode, body)
	}
	if v := visible("lifted"); !v["ruling"] || v["story2"] {
		t.Errorf("after lifting the page embargo: %v", v)
	}
	resp, body = do(t, http.MethodDelete, srv+"/api/embargo/"+page.ID, "", admin...)
	wantError(t, resp, body, http.StatusNotFound, "no embargo entry")
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", `{"url": "`+rulingURL+`", "who": "x"}`, admin...)
	wantError(t, resp, body, http.StatusBadRequest, "reason")
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", `{"url": "`+rulingURL+`", "reason": "r", "who": "x", "until": "2030"}`, admin...)
	wantError(t, resp, body, http.StatusBadRequest, "unknown field")
}
