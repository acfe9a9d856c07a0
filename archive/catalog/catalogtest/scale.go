package catalogtest

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Generator makes a catalog of n captures shaped like a real crawl's, for
// benchmarks at scale: article text mixed from real articles, about ten
// captures a host over n/10 hosts (a few large outlets, many small ones),
// real-looking URLs of four styles, AMP copies found by their canonical
// URL, re-captures on the daemon's schedule (1 h, 6 h, 1 d, 7 d, 30 d;
// most unchanged, so revisits), fetch times over a year, several
// languages. Every entry is a function of its page number and version, so
// the same n always gives the same catalog.
type Generator struct {
	corpus *Corpus
	n      int
	hosts  int
	seed   uint64
	start  time.Time
	caps   []capRef // every capture, in fetch order; the first n are the catalog
}

// capRef locates one capture: version v of page p.
type capRef struct {
	fetched int64 // unix nanoseconds
	page    uint32
	version uint8
}

// revisitOffsets is the daemon's default revisit schedule.
var revisitOffsets = []time.Duration{0, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// tailRanks is the size of the long tail of rare words (names, places,
// numbers) mixed into the text: real news keeps bringing new words, and a
// full-text index grows with them.
const tailRanks = 2_000_000

// NewGenerator returns the generator of a catalog of n captures. Another
// seed gives other captures (other ids, texts, times) over the same hosts.
func NewGenerator(c *Corpus, n int, seed uint64) *Generator {
	g := &Generator{corpus: c, n: n, hosts: max(1, n/10), seed: seed,
		start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for p := uint32(0); len(g.caps) < n; p++ {
		pg := g.page(p)
		for v := range pg.versions {
			g.caps = append(g.caps, capRef{fetched: g.fetchedAt(pg, v).UnixNano(), page: p, version: uint8(v)})
		}
	}
	slices.SortFunc(g.caps, func(a, b capRef) int {
		return cmp.Or(cmp.Compare(a.fetched, b.fetched), cmp.Compare(a.page, b.page), cmp.Compare(a.version, b.version))
	})
	g.caps = g.caps[:n]
	return g
}

// Corpus is the text the generator draws from.
func (g *Generator) Corpus() *Corpus { return g.corpus }

// N is the number of captures.
func (g *Generator) N() int { return g.n }

// Entry returns capture i, in fetch order (0 <= i < N).
func (g *Generator) Entry(i int) catalog.Entry {
	r := g.caps[i]
	return g.entry(g.page(r.page), int(r.version))
}

// page is everything about one page that its captures share.
type page struct {
	num      uint32
	host     int
	first    time.Time
	versions int
	// changed[v] tells a version whose text changed from a revisit.
	changed []bool
	style   int // URL style
	amp     bool
	noCanon bool
	lang    string
	listing bool
	section string
}

var sections = []string{"world", "politics", "business", "technology", "science", "health", "sport", "culture", "opinion", "local"}

func (g *Generator) rng(parts ...uint64) *rand.Rand {
	h := g.seed
	for _, p := range parts {
		h = h*0x9e3779b97f4a7c15 + p + 1
	}
	return rand.New(rand.NewPCG(h, 0x5eed))
}

func (g *Generator) page(p uint32) page {
	r := g.rng(uint64(p))
	u := r.Float64()
	pg := page{
		num: p,
		// Skewed: the first hosts (large outlets) get many pages, most get
		// a few, as in a crawl of many sources.
		host:     min(g.hosts-1, int(float64(g.hosts)*u*u)),
		first:    g.start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))).Truncate(time.Second)),
		versions: 1,
		lang:     g.corpus.langs[r.IntN(len(g.corpus.langs))],
		listing:  r.IntN(100) < 5,
		section:  sections[r.IntN(len(sections))],
	}
	pg.style = pg.host % 4
	pg.amp = r.IntN(100) < 10
	pg.noCanon = !pg.amp && r.IntN(100) < 7
	if r.IntN(100) < 20 {
		pg.versions = 2 + r.IntN(len(revisitOffsets)-1)
	}
	pg.changed = make([]bool, pg.versions)
	for v := 1; v < pg.versions; v++ {
		pg.changed[v] = r.IntN(100) < 35
	}
	return pg
}

func (g *Generator) fetchedAt(pg page, v int) time.Time {
	jitter := time.Duration(g.rng(uint64(pg.num), uint64(v), 1).IntN(600)) * time.Second
	return pg.first.Add(revisitOffsets[v] + jitter)
}

func (g *Generator) captureID(pg page, v int) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.seed)
	binary.LittleEndian.PutUint32(b[8:], pg.num)
	b[12] = byte(v)
	sum := sha256.Sum256(b[:])
	suffix := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:7])[:10]
	return g.fetchedAt(pg, v).Format("20060102T150405Z") + "-" + suffix
}

// content is version v's text version: a revisit shows the text of the
// last version that changed.
func (pg page) content(v int) int {
	for v > 0 && !pg.changed[v] {
		v--
	}
	return v
}

func (g *Generator) entry(pg page, v int) catalog.Entry {
	id := g.captureID(pg, v)
	fetched := g.fetchedAt(pg, v)
	title, text, words := g.text(pg, pg.content(v))
	mainURL := g.pageURL(pg, title)
	final, canonical := mainURL, mainURL
	if pg.amp && pg.style == 2 {
		final = mainURL + "&outputType=amp"
	} else if pg.amp {
		final = strings.TrimSuffix(mainURL, "/") + "/amp"
	}
	if pg.noCanon {
		canonical = ""
	}
	host := g.hostName(pg.host)
	r := g.rng(uint64(pg.num), 2)
	e := catalog.Entry{
		CaptureID: id, URL: final, FinalURL: final, CanonicalURL: canonical,
		URLKey: urlnorm.Key(final), Host: host, FetchedAt: fetched,
		Status: 200, ContentType: "text/html", PageType: "article",
		Title: title, Language: pg.lang, Text: text, WordCount: words,
		SiteName: siteName(host), Description: firstSentence(text, 200),
		Authors: g.authors(pg, r), Seed: "https://www." + host + "/" + pg.section + "/",
		RunID: "run-" + fetched.Format("2006-01-02"), Kind: "response",
		ExtractorVersion: "0.2.0", Paywalled: r.IntN(100) < 4,
	}
	if canonical != "" {
		e.CanonicalKey = urlnorm.Key(canonical)
	}
	if pg.listing {
		e.PageType, e.Authors = "listing", nil
	}
	if r.IntN(100) < 90 {
		pub := pg.first.Add(-time.Duration(r.Int64N(int64(36 * time.Hour)))).Truncate(time.Second)
		e.Published = &pub
	}
	src := pg.host % max(1, g.n/5000)
	e.Source = fmt.Sprintf("%s-desk-%d", sections[src%len(sections)], src)
	e.Tags = []string{tagNames[src%len(tagNames)]}
	if src%3 == 0 {
		e.Tags = append(e.Tags, tagNames[(src/3+1)%len(tagNames)])
	}
	if v > 0 {
		e.PreviousCaptureID = g.captureID(pg, v-1)
		if !pg.changed[v] {
			e.Kind = "revisit"
		}
	}
	payload := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d", g.seed, pg.num, pg.content(v)))
	e.PayloadSHA256 = hex.EncodeToString(payload[:])
	ref := func(name string, size int) archive.ObjectRef {
		key, _ := archive.CaptureKey(id, name)
		sum := sha256.Sum256([]byte(key))
		return archive.ObjectRef{Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(size)}
	}
	e.WARC = ref(archive.WARCName, 12000+6*len(text)+r.IntN(40000))
	e.Article = ref(archive.ArticleName, 1500+len(text)+len(title))
	e.Provenance = ref(archive.ProvenanceName, 1700+r.IntN(600))
	return e
}

var tagNames = []string{"canada", "europe", "elections", "climate", "tech", "health", "security", "economy"}

// text returns the title and text of content version c of a page, and
// its word count: real paragraphs of the page's language, a real
// article's length, one in fifty words replaced by a long-tail word; each
// changed version rewrites one paragraph and adds an update.
func (g *Generator) text(pg page, c int) (title, text string, words int) {
	paras := g.corpus.paras[pg.lang]
	r := g.rng(uint64(pg.num), 3)
	if pg.listing {
		lines := make([]string, 12)
		for i := range lines {
			lines[i] = headline(paras[r.IntN(len(paras))], r)
			words += strings.Count(lines[i], " ") + 1
		}
		return "Latest " + pg.section + " news", strings.Join(lines, "\n"), words
	}
	lengths := g.corpus.lengths[pg.lang]
	target := lengths[r.IntN(len(lengths))]
	title = headline(paras[r.IntN(len(paras))], r)
	var chosen [][]string
	for n := 0; n < target; {
		p := paras[r.IntN(len(paras))]
		chosen = append(chosen, p)
		for _, w := range p {
			n += len(w) + 1
		}
	}
	for v := 1; v <= c; v++ {
		rv := g.rng(uint64(pg.num), 4, uint64(v))
		chosen[rv.IntN(len(chosen))] = paras[rv.IntN(len(paras))]
		chosen = append(chosen, append([]string{"Update:"}, paras[rv.IntN(len(paras))]...))
		if rv.IntN(3) == 0 {
			title = headline(paras[rv.IntN(len(paras))], rv)
		}
	}
	var b strings.Builder
	b.Grow(target + 256)
	for i, p := range chosen {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, w := range p {
			if j > 0 {
				b.WriteByte(' ')
			}
			if r.IntN(50) == 0 {
				w = TailWord(tailRank(r))
			}
			b.WriteString(w)
		}
		words += len(p)
	}
	return title, b.String(), words
}

// tailRank draws a rank of the long tail, log-uniformly: word r is drawn
// about 1/r as often as word 1 (Zipf's law).
func tailRank(r *rand.Rand) int {
	return int(math.Exp(r.Float64() * math.Log(tailRanks)))
}

var syllables = strings.Fields(`ka lo mi ra ve tan sor bel dun fi gar ho ju ken lis mor nal pe qui rot sa tem ul vin wes xa
yor zen bra cle dro fla gri hal ist jor kru lem`)

// TailWord is the long-tail word of a rank: a made-up name, distinct for
// each rank.
func TailWord(rank int) string {
	var b strings.Builder
	for first := true; first || rank > 0; first = false {
		b.WriteString(syllables[rank%len(syllables)])
		rank /= len(syllables)
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

// headline makes a title of 5 to 12 words from the start of a paragraph.
func headline(ws []string, r *rand.Rand) string {
	ws = ws[:min(len(ws), 5+r.IntN(8))]
	t := strings.TrimRight(strings.Join(ws, " "), ",.;:")
	if r.IntN(4) == 0 {
		t += " " + TailWord(tailRank(r))
	}
	return t
}

func firstSentence(text string, limit int) string {
	if i := strings.IndexAny(text, ".\n"); i > 0 {
		text = text[:i+1]
	}
	if len(text) > limit {
		text = text[:limit]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	return text
}

var firstNames = strings.Fields(`Ana Ben Chloé Dmitri Emma Farid Grace Hiro Inès Jonas Kofi Lena Marco Nadia Omar Priya
Quentin Rosa Sven Tariq Ursula Vikram Wen Ximena Yusuf Zoe`)

// authors gives each host a staff of eight; a page has one or two of them.
func (g *Generator) authors(pg page, r *rand.Rand) []string {
	name := func(k int) string {
		return firstNames[(pg.host*7+k)%len(firstNames)] + " " + TailWord(1000+pg.host*8+k)
	}
	out := []string{name(r.IntN(8))}
	if r.IntN(4) == 0 {
		out = append(out, name(r.IntN(8)))
	}
	return out
}

var (
	hostPrefixes = strings.Fields("daily the metro city national evening morning global valley coast north south west")
	hostNouns    = strings.Fields("herald times post courier gazette tribune chronicle observer news journal record star ledger express monitor")
	hostTLDs     = strings.Fields("com com com co.uk de fr ca com.au org net")
)

// HostName is the name of host h; distinct for each h.
func (g *Generator) hostName(h int) string {
	place := TailWord(h / (len(hostPrefixes) * len(hostNouns)))
	rest := h % (len(hostPrefixes) * len(hostNouns))
	return strings.ToLower(place) + hostPrefixes[rest%len(hostPrefixes)] + hostNouns[rest/len(hostPrefixes)] +
		"." + hostTLDs[h%len(hostTLDs)]
}

func siteName(host string) string {
	name, _, _ := strings.Cut(host, ".")
	return strings.ToUpper(name[:1]) + name[1:]
}

// pageURL is the page's address in its host's URL style.
func (g *Generator) pageURL(pg page, title string) string {
	host := g.hostName(pg.host)
	slug := slugOf(title)
	id := strconv.FormatUint(uint64(pg.num), 36)
	d := pg.first
	switch pg.style {
	case 0:
		return fmt.Sprintf("https://www.%s/%s/%s/%s-%s/", host, pg.section, d.Format("2006/01/02"), slug, id)
	case 1:
		return fmt.Sprintf("https://%s/%s/%s-%s.html", host, pg.section, slug, id)
	case 2:
		return fmt.Sprintf("https://www.%s/news/article?id=%d&section=%s", host, pg.num, pg.section)
	default:
		return fmt.Sprintf("https://%s/%s/%s-%s", host, d.Format("2006/01"), slug, id)
	}
}

// slugOf makes a URL slug of a title's first ASCII words.
func slugOf(title string) string {
	var parts []string
	for _, w := range words(strings.ToLower(title)) {
		if len(parts) == 8 {
			break
		}
		if strings.IndexFunc(w, func(r rune) bool { return r > unicode.MaxASCII }) < 0 {
			parts = append(parts, w)
		}
	}
	if len(parts) == 0 {
		return "article"
	}
	return strings.Join(parts, "-")
}
