package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store/local"
)

// seedPath is the real topic page the near-duplicate fixtures are built
// from: one story from five outlets, one of them a Reuters dispatch
// carried by the Business Times.
const seedPath = "../../../shared/seed/topic-page-example.txt"

// seedStories returns the five article bodies of the seed, by outlet.
func seedStories(t testing.TB) map[string]string {
	t.Helper()
	data, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatalf("read seed: %v", err)
	}
	var bodies []string
	for _, l := range strings.Split(string(data), "\n") {
		if len(l) > 800 {
			bodies = append(bodies, strings.TrimSpace(l))
		}
	}
	if len(bodies) != 5 {
		t.Fatalf("seed has %d article bodies, want 5", len(bodies))
	}
	return map[string]string{"toi": bodies[0], "ctv": bodies[1], "reuters": bodies[2], "aljazeera": bodies[3], "bt": bodies[4]}
}

// paragraphs splits a seed body (one line) into paragraphs of two
// sentences, as the outlets print them.
func paragraphs(body string) []string {
	var sentences []string
	rest := body
	for {
		i := strings.Index(rest, ". ")
		if i < 0 {
			sentences = append(sentences, rest)
			break
		}
		sentences = append(sentences, rest[:i+1])
		rest = rest[i+2:]
	}
	var out []string
	for i := 0; i < len(sentences); i += 2 {
		out = append(out, strings.Join(sentences[i:min(i+2, len(sentences))], " "))
	}
	return out
}

// story is one page of the fixture archive.
type story struct {
	key       string // fixture name
	host      string
	path      string
	title     string
	author    string
	published string
	lang      string
	source    string
	tags      []string
	paras     []string
	at        time.Duration // capture time after the fixture's t0
}

func (s story) url() string { return "http://" + s.host + s.path }

func (s story) page() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html lang="%s"><head><title>%s</title>
<meta property="og:type" content="article">
<link rel="canonical" href="%s">
<meta name="author" content="%s">
<meta property="article:published_time" content="%s">
</head><body><nav><a href="/">Home</a> <a href="/world/">World</a></nav><article><h1>%s</h1>
`, s.lang, html.EscapeString(s.title), s.url(), html.EscapeString(s.author), s.published, html.EscapeString(s.title))
	for _, p := range s.paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
	}
	fmt.Fprintf(&b, `<p>Read more: <a href="http://%s/related/1">related coverage</a>.</p></article></body></html>`, s.host)
	return []byte(b.String())
}

// fixture is an archive built through the real capture pipeline.
type fixture struct {
	dir     string // the local store's directory
	st      *local.Store
	cat     *sqlite.Catalog
	rec     *capture.Recorder
	t0      time.Time
	ids     map[string]string // story key → capture id
	stories map[string]story
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cat, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close(); st.Close() })
	return &fixture{
		dir: dir, st: st, cat: cat, t0: time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC),
		rec:     capture.NewRecorder(st, cat, archive.Component{Name: "archivist", Version: "test"}, capture.Config{KeepListings: true}, log),
		ids:     map[string]string{},
		stories: map[string]story{},
	}
}

// add archives s as fetched at t0+s.at and returns the capture id.
func (f *fixture) add(t testing.TB, s story) string {
	t.Helper()
	start := f.t0.Add(s.at)
	ex := &archive.Exchange{
		RequestedURL: s.url(), FetchStart: start, FetchEnd: start.Add(time.Second), Depth: 1, RunID: "run-1",
		Seed: "http://daily8.test/topics/hikvisioncanada", Source: s.source, Tags: s.tags,
		Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, UserAgent: "Archivist/test",
		Hops: []archive.Hop{{
			URL: s.url(), Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
			RequestHeader:  http.Header{"User-Agent": {"Archivist/test"}},
			ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
			Body:           s.page(), RemoteIP: "192.0.2.7", Start: start, End: start.Add(time.Second),
		}},
	}
	res, err := f.rec.Capture(context.Background(), ex, nil)
	if err != nil {
		t.Fatalf("capture %s: %v", s.key, err)
	}
	if !res.Archived {
		t.Fatalf("capture %s: not archived: %s", s.key, res.Reason)
	}
	f.ids[s.key] = res.CaptureID
	f.stories[s.key] = s
	return res.CaptureID
}

// The edge article's fields hold everything CSV must quote: quotes,
// commas, line breaks (between paragraphs), a leading formula sign and
// characters outside ASCII.
const (
	edgeTitle  = `Budget "révisé", virgules, =SUM(A1) et 東京 🌊`
	edgeAuthor = `Zoë "Pat" O'Brien`
)

func edgeParas() []string {
	return []string{
		`=SUM(A1:A9) is not a formula here: the council's "budget, revised" line stayed at 4,2 million francs, said Zoë Müller.`,
		"Première séance: les conseillers ont voté — 東京 と ソウル の代表も出席した 🌊; the end of the line.",
		`Une troisième ligne, avec "guillemets", des virgules, et la fin du compte rendu du conseil municipal de la ville.`,
	}
}

// buildArchive fills f with the seed's five stories, syndicated copies of
// two of them, a second version of one page, a revisit of another and
// one article of awkward text. Capture order is chosen so that the first
// captured copy of a story is not the first published.
func buildArchive(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t)
	seed := seedStories(t)
	reuters := paragraphs(seed["reuters"])
	bt := paragraphs(seed["bt"])
	h := func(n int) time.Duration { return time.Duration(n) * time.Hour }

	f.add(t, story{key: "reuters", host: "reuters.test", path: "/world/china/hikvision-challenging-canada-order/",
		title: "China's Hikvision says it is challenging Canada's shut down order", author: "Reuters Staff",
		published: "2025-07-07T08:00:00Z", lang: "en", source: "wires", tags: []string{"canada", "china"},
		paras: reuters, at: h(0)})
	f.add(t, story{key: "toi", host: "toi.test", path: "/world/canada/hikvision-fights-back/articleshow/1.cms",
		title: "Chinese spy tech giant fights back as Canada kicks out Hikvision", author: "TOI World Desk",
		published: "2025-07-08T04:00:00Z", lang: "en", source: "india", tags: []string{"canada"},
		paras: paragraphs(seed["toi"]), at: h(1)})
	f.add(t, story{key: "ctv", host: "ctv.test", path: "/politics/hikvision-seeks-to-overturn-ban-1.7591234",
		title: "Chinese surveillance company Hikvision seeks to overturn ban in Canada", author: "Spencer Van Dyk",
		published: "2025-07-07T15:00:00Z", lang: "en", source: "canada", tags: []string{"canada"},
		paras: paragraphs(seed["ctv"]), at: h(2)})
	f.add(t, story{key: "aljazeera", host: "aljazeera.test", path: "/news/2025/6/30/china-claims-canadas-order-damages-trade",
		title: "China claims Canada's order for Hikvision closure damages trade relations", author: "Al Jazeera Staff",
		published: "2025-06-30T12:00:00Z", lang: "en", source: "wires", tags: []string{"china"},
		paras: paragraphs(seed["aljazeera"]), at: h(3)})
	f.add(t, story{key: "bt", host: "businesstimes.test", path: "/international/global/china-urges-canada-correct-wrongdoing",
		title: "China urges Canada to correct wrongdoing over Hikvision shutdown", author: "Reuters",
		published: "2025-06-30T09:00:00Z", lang: "en", source: "asia", tags: []string{"china"},
		paras: bt, at: h(4)})

	// Syndicated copies: another headline and dateline, a dropped closing
	// paragraph, spelling changes, an outlet's sign-off.
	copy1 := append([]string{"[SHANGHAI] " + strings.TrimPrefix(reuters[0], "SHANGHAI, July 7 (Reuters) - ")}, reuters[1:len(reuters)-1]...)
	copy1 = append(copy1, "REUTERS")
	f.add(t, story{key: "reuters-copy1", host: "dailywire.test", path: "/business/hikvision-fights-canada-shutdown-in-court",
		title: "Hikvision fights Canada shutdown in court", author: "Wire Desk",
		published: "2025-07-07T07:30:00Z", lang: "en", source: "asia", tags: []string{"china"},
		paras: copy1, at: h(5)})
	var copy2 []string
	for _, p := range reuters {
		p = strings.ReplaceAll(p, "criticized", "criticised")
		p = strings.ReplaceAll(p, "neighbor", "neighbour")
		copy2 = append(copy2, p)
	}
	copy2 = append(copy2, "(Reporting by the Shanghai newsroom; Editing by the Asia desk)", "Get the latest business news on our app.")
	f.add(t, story{key: "reuters-copy2", host: "asiadesk.test", path: "/news/hikvision-canada-court",
		title: "Hikvision challenges Canada's order in federal court", author: "Asia Desk",
		published: "2025-07-07T09:30:00Z", lang: "en", source: "asia", tags: []string{"china", "canada"},
		paras: copy2, at: h(6)})
	btCopy := append([]string{"[SINGAPORE] " + strings.TrimPrefix(bt[0], "[BEIJING] ")}, bt[1:]...)
	btCopy = append(btCopy, "Source: Reuters.")
	f.add(t, story{key: "bt-copy", host: "sgnews.test", path: "/world/china-canada-hikvision",
		title: "Beijing tells Ottawa to correct its Hikvision decision", author: "SG News",
		published: "2025-06-30T10:00:00Z", lang: "en", source: "asia", tags: []string{"china"},
		paras: btCopy, at: h(7)})

	f.add(t, story{key: "edge", host: "edge.test", path: "/conseil/budget",
		title: edgeTitle, author: edgeAuthor,
		published: "2025-07-08T06:00:00Z", lang: "fr", source: "local", tags: []string{"budget"},
		paras: edgeParas(), at: h(8)})

	// A second version of the TOI page (one more paragraph), and the
	// Reuters page again unchanged: a revisit.
	toi2 := f.stories["toi"]
	toi2.key, toi2.at = "toi-v2", h(30)
	toi2.paras = append(append([]string{}, toi2.paras...), "Update: the Federal Court set a hearing date for the company's motion for a stay later this month.")
	f.add(t, toi2)
	rev := f.stories["reuters"]
	rev.key, rev.at = "reuters-revisit", h(50)
	f.add(t, rev)
	return f
}

// order lists the fixture's story keys in capture (row) order.
func fixtureOrder() []string {
	return []string{"reuters", "toi", "ctv", "aljazeera", "bt", "reuters-copy1", "reuters-copy2", "bt-copy", "edge", "toi-v2", "reuters-revisit"}
}

// exportTo runs an export of f into dir/name with opts' other settings.
func exportTo(t testing.TB, f *fixture, dir, name string, opts Options) *Manifest {
	t.Helper()
	opts.Out = filepath.Join(dir, name)
	if opts.Now.IsZero() {
		opts.Now = time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC)
	}
	if opts.Software.Name == "" {
		opts.Software = archive.Component{Name: "archivist", Version: "test"}
		opts.Extractor = archive.Component{Name: "archivist-extract", Version: "test"}
		opts.Archive = "file:///fixture"
	}
	m, err := Export(context.Background(), f.st, f.cat, opts)
	if err != nil {
		t.Fatalf("export %s: %v", name, err)
	}
	return m
}

// readJSONL reads a JSON Lines file into rows.
func readJSONL(t testing.TB, path string) []Row {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var rows []Row
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// key returns the fixture key of a capture id.
func (f *fixture) key(id string) string {
	for k, v := range f.ids {
		if v == id {
			return k
		}
	}
	return "?" + id
}

func (f *fixture) entry(t testing.TB, key string) catalog.Entry {
	t.Helper()
	e, err := f.cat.Get(context.Background(), f.ids[key])
	if err != nil {
		t.Fatal(err)
	}
	return e
}
