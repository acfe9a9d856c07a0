package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// link is one link-value of an RFC 8288 Link header or an RFC 6690
// link-format document.
type link struct {
	uri    string
	params map[string]string
}

// parseLinks parses link-values written as RFC 6690 and RFC 8288 define
// them: "<URI>" then ";"-separated parameters (quoted or token values),
// link-values separated by ",". It is written from the grammar, not from
// the server's code, and rejects what the grammar does not allow.
func parseLinks(t *testing.T, s string) []link {
	t.Helper()
	var out []link
	rest := strings.TrimSpace(s)
	for rest != "" {
		if rest[0] != '<' {
			t.Fatalf("link-value does not start with '<': %.60q", rest)
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			t.Fatalf("unterminated URI-Reference: %.60q", rest)
		}
		l := link{uri: rest[1:end], params: map[string]string{}}
		rest = strings.TrimLeft(rest[end+1:], " \t\r\n")
		for strings.HasPrefix(rest, ";") {
			rest = strings.TrimLeft(rest[1:], " \t\r\n")
			eq := strings.IndexAny(rest, "=;,")
			if eq < 0 || rest[eq] != '=' {
				t.Fatalf("parameter without value: %.60q", rest)
			}
			name := strings.ToLower(strings.TrimSpace(rest[:eq]))
			rest = rest[eq+1:]
			var val string
			if strings.HasPrefix(rest, `"`) {
				close := strings.IndexByte(rest[1:], '"')
				if close < 0 {
					t.Fatalf("unterminated quoted parameter %s", name)
				}
				val, rest = rest[1:close+1], rest[close+2:]
			} else {
				stop := strings.IndexAny(rest, ";,")
				if stop < 0 {
					stop = len(rest)
				}
				val, rest = strings.TrimSpace(rest[:stop]), rest[stop:]
			}
			if _, dup := l.params[name]; dup {
				t.Fatalf("parameter %s given twice in one link-value", name)
			}
			l.params[name] = val
			rest = strings.TrimLeft(rest, " \t\r\n")
		}
		out = append(out, l)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			t.Fatalf("link-values not separated by ',': %.60q", rest)
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
	}
	return out
}

// byRel returns the links whose rel (a space-separated list) includes rel.
func byRel(links []link, rel string) []link {
	var out []link
	for _, l := range links {
		for _, r := range strings.Fields(l.params["rel"]) {
			if r == rel {
				out = append(out, l)
			}
		}
	}
	return out
}

func TestTimeMapParsesAsRFC7089(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options())
	resp, body := get(t, srv.URL+"/timemap/link/"+storyURL)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/link-format" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	links := parseLinks(t, string(body))
	if o := byRel(links, "original"); len(o) != 1 || o[0].uri != storyURL {
		t.Errorf("original: %+v", o)
	}
	self := byRel(links, "self")
	if len(self) != 1 || self[0].params["type"] != "application/link-format" {
		t.Fatalf("self: %+v", self)
	}
	from, err1 := http.ParseTime(self[0].params["from"])
	until, err2 := http.ParseTime(self[0].params["until"])
	if err1 != nil || err2 != nil || !from.Equal(t0) || !until.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("self from/until = %q/%q", self[0].params["from"], self[0].params["until"])
	}
	if tg := byRel(links, "timegate"); len(tg) != 1 || tg[0].uri != srv.URL+"/web/"+storyURL {
		t.Errorf("timegate: %+v", tg)
	}
	mementos := byRel(links, "memento")
	if len(mementos) != 3 {
		t.Fatalf("%d mementos, want 3 (two full captures and a revisit)", len(mementos))
	}
	var prev time.Time
	for i, m := range mementos {
		dt, err := http.ParseTime(m.params["datetime"])
		if err != nil {
			t.Fatalf("memento %d: datetime %q is not an HTTP date", i, m.params["datetime"])
		}
		if !dt.After(prev) {
			t.Errorf("mementos not in time order at %d", i)
		}
		prev = dt
		// Every memento URI answers with its Memento-Datetime.
		resp, _ := get(t, m.uri)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Memento-Datetime") != m.params["datetime"] {
			t.Errorf("memento %s: status %d, Memento-Datetime %q, want %q", m.uri, resp.StatusCode, resp.Header.Get("Memento-Datetime"), m.params["datetime"])
		}
	}
	if first := byRel(links, "first"); len(first) != 1 || first[0].uri != mementos[0].uri {
		t.Errorf("first memento: %+v", first)
	}
	if last := byRel(links, "last"); len(last) != 1 || last[0].uri != mementos[2].uri {
		t.Errorf("last memento: %+v", last)
	}

	// The JSON TimeMap: one CDX JSON object a line, as pywb gives it.
	resp, body = get(t, srv.URL+"/timemap/json/"+storyURL)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) != 3 {
		t.Fatalf("json timemap: status %d, %d lines", resp.StatusCode, len(lines))
	}
	var row map[string]string
	decodeJSON(t, []byte(lines[2]), &row)
	if row["timestamp"] != "20250708120000" || row["url"] != storyURL || row["mime"] != "warc/revisit" {
		t.Errorf("last json timemap line: %v", row)
	}
	resp, body = get(t, srv.URL+"/timemap/xml/"+storyURL)
	wantError(t, resp, body, http.StatusNotFound, "/timemap/link/")
	resp, body = get(t, srv.URL+"/timemap/link/http://never.test/")
	wantError(t, resp, body, http.StatusNotFound, "no capture")
}

func TestTimeGateAndMementoHeaders(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options())
	for _, path := range []string{"/web/", "/timegate/"} {
		resp, body := get(t, srv.URL+path+storyURL, "Accept-Datetime", "Tue, 08 Jul 2025 10:20:00 GMT")
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
		}
		if resp.Header.Get("Vary") != "accept-datetime" {
			t.Errorf("%s: Vary %q", path, resp.Header.Get("Vary"))
		}
		if loc := resp.Header.Get("Location"); loc != srv.URL+"/web/20250708100000/"+storyURL {
			t.Errorf("%s: Location %q, want the 10:00 capture", path, loc)
		}
		links := parseLinks(t, resp.Header.Get("Link"))
		if len(byRel(links, "original")) != 1 || len(byRel(links, "timemap")) != 1 {
			t.Errorf("%s: TimeGate Link lacks original or timemap: %s", path, resp.Header.Get("Link"))
		}
	}
	// Without Accept-Datetime: the latest.
	resp, _ := get(t, srv.URL+"/web/"+storyURL)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/web/20250708120000/") {
		t.Errorf("no Accept-Datetime: Location %q, want the latest capture", loc)
	}
	resp, body := get(t, srv.URL+"/web/"+storyURL, "Accept-Datetime", "yesterday")
	wantError(t, resp, body, http.StatusBadRequest, "RFC 1123")

	// A memento in the middle names its neighbours.
	resp, _ = get(t, srv.URL+"/web/20250708110000/"+storyURL)
	links := parseLinks(t, resp.Header.Get("Link"))
	check := func(rel, ts string) {
		t.Helper()
		got := byRel(links, rel)
		if len(got) != 1 || !strings.Contains(got[0].uri, "/web/"+ts+"/") {
			t.Errorf("rel %s: %+v, want the %s memento", rel, got, ts)
		}
	}
	check("prev", "20250708100000")
	check("first", "20250708100000")
	check("next", "20250708120000")
	check("last", "20250708120000")
	if tm := byRel(links, "timemap"); len(tm) != 1 || tm[0].uri != srv.URL+"/timemap/link/"+storyURL || tm[0].params["type"] != "application/link-format" {
		t.Errorf("timemap link: %+v", tm)
	}
}
