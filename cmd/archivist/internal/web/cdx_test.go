package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cdxjLine is "urlkey timestamp {json}", as the CDXJ format (used by pywb
// and OpenWayback) defines a line.
var cdxjLine = regexp.MustCompile(`^(\S+) (\d{14}) (\{.*\})$`)

// surtKey is a SURT key: host labels reversed, comma-joined, then ")".
var surtKey = regexp.MustCompile(`^[a-z0-9-]+(,[a-z0-9-]+)*(:\d+)?\)/`)

// cdxQuery runs a CDX query and parses its CDXJ lines.
func queryCDXJ(t *testing.T, srv string, params string) []map[string]string {
	t.Helper()
	resp, body := get(t, srv+"/cdx?"+params)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/cdx?%s: status %d: %s", params, resp.StatusCode, body)
	}
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
		if line == "" {
			continue
		}
		m := cdxjLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("/cdx?%s: not a CDXJ line: %q", params, line)
		}
		if !surtKey.MatchString(m[1]) {
			t.Errorf("urlkey %q is not a SURT", m[1])
		}
		row := map[string]string{}
		if err := json.Unmarshal([]byte(m[3]), &row); err != nil {
			t.Fatalf("CDXJ JSON block %q: %v (every value must be a string, as pywb writes them)", m[3], err)
		}
		row["urlkey"], row["timestamp"] = m[1], m[2]
		rows = append(rows, row)
	}
	return rows
}

func timestamps(rows []map[string]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r["timestamp"])
	}
	return out
}

func TestCDXPywbQueries(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL
	exact := queryCDXJ(t, srv, "url="+url.QueryEscape(storyURL))
	if got := timestamps(exact); !slices.Equal(got, []string{"20250708100000", "20250708110000", "20250708120000"}) {
		t.Fatalf("exact: %v", got)
	}
	r := exact[0]
	if r["urlkey"] != "test,news)/2025/07/08/hikvision-court" || r["url"] != storyURL || r["mime"] != "text/html" || r["status"] != "200" ||
		!strings.HasPrefix(r["digest"], "sha256:") || r["filename"] != f.entry(t, "story1").WARC.Key {
		t.Errorf("exact row: %v", r)
	}
	if exact[2]["mime"] != "warc/revisit" {
		t.Errorf("a revisit's mime is %q, want warc/revisit as pywb writes it", exact[2]["mime"])
	}

	cases := []struct {
		params string
		want   []string // capture names, in order
	}{
		{"url=news.test/2025/*", []string{"story1", "story2", "story3"}},
		{"url=news.test&matchType=prefix", []string{"story1", "story2", "story3"}},
		{"url=news.test/2025/07/09&matchType=prefix", nil},
		{"url=news.test&matchType=host", []string{"story1", "story2", "story3"}},
		{"url=*.news.test", []string{"story1", "story2", "story3", "sub"}}, // by SURT: "test,news)" < "test,news,live)"
		{"url=news.test&matchType=domain", []string{"story1", "story2", "story3", "sub"}},
		{"url=" + url.QueryEscape(storyURL) + "&from=20250708103000&to=2025070811", []string{"story2"}},
		{"url=" + url.QueryEscape(storyURL) + "&limit=2", []string{"story1", "story2"}},
		{"url=" + url.QueryEscape(storyURL) + "&limit=-1", []string{"story3"}},
		{"url=" + url.QueryEscape(storyURL) + "&sort=reverse", []string{"story3", "story2", "story1"}},
		{"url=" + url.QueryEscape(storyURL) + "&sort=closest&closest=20250708114500", []string{"story3", "story2", "story1"}},
		{"url=" + url.QueryEscape(storyURL) + "&filter=!mime:warc/revisit", []string{"story1", "story2"}},
		{"url=" + url.QueryEscape(storyURL) + "&filter=mime:warc/.*", []string{"story3"}},
		{"url=" + url.QueryEscape(storyURL) + "&filter=~timestamp:0811", []string{"story2"}},
		{"url=" + url.QueryEscape(storyURL) + "&filter==status:200&filter=!~timestamp:081", nil},
		{"url=" + url.QueryEscape(storyURL) + "&filter=statuscode:2..", []string{"story1", "story2", "story3"}},
		{"url=" + url.QueryEscape(storyURL) + "&pageSize=2&page=1", []string{"story3"}},
	}
	for _, c := range cases {
		rows := queryCDXJ(t, srv, c.params)
		var got []string
		for _, r := range rows {
			for name, id := range f.ids {
				if r["capture_id"] == id {
					got = append(got, name)
				}
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("/cdx?%s = %v, want %v", c.params, got, c.want)
		}
	}

	// output=json: one JSON object a line, pywb's field names.
	resp, body := get(t, srv+"/cdx?output=json&url="+url.QueryEscape(storyURL))
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.Header.Get("Content-Type") != "text/x-ndjson; charset=utf-8" || len(lines) != 3 {
		t.Fatalf("output=json: %s, %d lines", resp.Header.Get("Content-Type"), len(lines))
	}
	for _, l := range lines {
		var obj map[string]string
		decodeJSON(t, []byte(l), &obj)
		for _, k := range []string{"urlkey", "timestamp", "url", "mime", "status", "digest", "length", "filename"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("output=json line lacks %s: %s", k, l)
			}
		}
	}
	// fl (and its synonym fields) picks fields, Wayback names included.
	_, body = get(t, srv+"/cdx?fl=timestamp,original,statuscode&url="+url.QueryEscape(storyURL))
	if first, _, _ := strings.Cut(string(body), "\n"); first != "20250708100000 "+storyURL+" 200" {
		t.Errorf("fl: first line %q", first)
	}
	_, body = get(t, srv+"/cdx?output=json&fields=timestamp&limit=1&url="+url.QueryEscape(storyURL))
	if strings.TrimSpace(string(body)) != `{"timestamp": "20250708100000"}` {
		t.Errorf("output=json&fields=timestamp: %s", body)
	}
	// Classic 11-field CDX.
	_, body = get(t, srv+"/cdx?output=text&limit=1&url="+url.QueryEscape(storyURL))
	if fields := strings.Fields(string(body)); len(fields) != 11 || fields[1] != "20250708100000" {
		t.Errorf("output=text: %q", body)
	}
	// Paging.
	_, body = get(t, srv+"/cdx?showNumPages=true&pageSize=2&url="+url.QueryEscape(storyURL))
	if strings.TrimSpace(string(body)) != "2" {
		t.Errorf("showNumPages: %q, want 2", body)
	}
	_, body = get(t, srv+"/cdx?showNumPages=true&pageSize=2&output=json&url="+url.QueryEscape(storyURL))
	var pages struct{ Pages, PageSize int }
	decodeJSON(t, body, &pages)
	if pages.Pages != 2 || pages.PageSize != 2 {
		t.Errorf("showNumPages json: %s", body)
	}

	for _, c := range []struct{ params, want string }{
		{"", "give url="},
		{"url=news.test&matchType=fuzzy", "matchType"},
		{"url=news.test&filter=status:(", "regular expression"},
		{"url=news.test&filter=colour:red", "unknown field"},
		{"url=news.test&sort=random", "sort"},
		{"url=news.test&sort=closest", "closest="},
		{"url=news.test&fl=colour", "unknown field"},
		{"url=news.test&output=xml", "output"},
		{"url=news.test&from=2025x", "from"},
		{"url=news.test&page=-1", "page"},
	} {
		resp, body := get(t, srv+"/cdx?"+c.params)
		wantError(t, resp, body, http.StatusBadRequest, c.want)
	}
}
