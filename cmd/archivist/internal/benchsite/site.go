package benchsite

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Domain is the parent of every fixture host name. The .test top-level
// domain is reserved (RFC 6761): no real DNS answers for it, so a resolver
// that maps it to loopback can never reach anything else.
const Domain = "bench.test"

// DefaultPerHost is how many articles a host carries unless told.
const DefaultPerHost = 10

// Options shape a fixture.
type Options struct {
	Pages   int   // article pages, at least 1
	PerHost int   // articles per host (0: DefaultPerHost)
	Seed    int64 // layout seed (0: 1)
}

// Site is a generated fixture: the plan of every host and page. Pages are
// rendered on request from the corpus, so a site of 10,000 pages holds
// only the corpus in memory. It is safe for concurrent use.
type Site struct {
	opts     Options
	corpus   *Corpus
	hosts    []host
	articles []article
	byName   map[string]int // host name → index in hosts
	gzips    sync.Pool      // *gzip.Writer, reused across responses
}

type host struct {
	name    string
	section string
	// listings are the section's pages: the article indexes each lists.
	listings [][]int
	routes   map[string]route // request target (path and query) → page
}

// route names one page of a host.
type route struct {
	kind  pageKind
	index int // article index (pageArticle) or listing page (pageListing)
}

type pageKind int

const (
	pageRobots pageKind = iota
	pageListing
	pageArticle
	pageFeed
	pageSitemap
)

type article struct {
	host      int
	src       int    // index in the corpus
	target    string // path and query
	title     string
	published time.Time
	related   []int
}

var sections = []string{"world", "politics", "business", "technology", "science", "culture", "sport", "opinion", "health", "climate"}

// epoch is the first story's publication time; later stories follow it.
var epoch = time.Date(2025, 1, 6, 7, 30, 0, 0, time.UTC)

// New lays out a fixture of opts.Pages articles built from corpus.
func New(corpus *Corpus, opts Options) (*Site, error) {
	if opts.Pages < 1 {
		return nil, fmt.Errorf("generate fixture: pages must be at least 1, got %d", opts.Pages)
	}
	if opts.PerHost == 0 {
		opts.PerHost = DefaultPerHost
	}
	if opts.PerHost < 1 {
		return nil, fmt.Errorf("generate fixture: per-host must be at least 1, got %d", opts.PerHost)
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if corpus == nil || corpus.Len() == 0 {
		return nil, fmt.Errorf("generate fixture: no source pages (load the extraction benchmark with LoadCorpus)")
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x62656e6368))
	s := &Site{opts: opts, corpus: corpus, byName: map[string]int{}}
	nHosts := (opts.Pages + opts.PerHost - 1) / opts.PerHost
	width := max(4, len(strconv.Itoa(nHosts)))
	for h := range nHosts {
		name := fmt.Sprintf("h%0*d.%s", width, h+1, Domain)
		s.byName[name] = h
		s.hosts = append(s.hosts, host{name: name, section: sections[rng.IntN(len(sections))], routes: map[string]route{}})
	}
	// Sources are dealt in shuffled rounds, so neighbouring stories (one
	// host's) come from different real sites.
	var deck []int
	for i := range opts.Pages {
		if len(deck) == 0 {
			deck = rng.Perm(corpus.Len())
		}
		h := i / opts.PerHost
		src := deck[0]
		deck = deck[1:]
		s.articles = append(s.articles, article{
			host: h, src: src,
			title:     titleOf(corpus.sources[src].slug, i+1),
			published: epoch.Add(time.Duration(i)*37*time.Minute + time.Duration(rng.IntN(600))*time.Second),
		})
	}
	for i := range s.articles {
		a := &s.articles[i]
		a.target = s.uniqueTarget(rng, i)
		a.related = s.pickRelated(rng, i)
	}
	for h := range s.hosts {
		s.planHost(rng, h)
	}
	return s, nil
}

// uniqueTarget picks article i's URL shape and makes sure its host has no
// other page at that target.
func (s *Site) uniqueTarget(rng *rand.Rand, i int) string {
	a := &s.articles[i]
	hs := &s.hosts[a.host]
	slug := s.corpus.sources[a.src].slug
	id := 400000 + i*7 + rng.IntN(7)
	d := a.published
	var t string
	switch rng.IntN(6) {
	case 0:
		t = fmt.Sprintf("/%04d/%02d/%02d/%s/", d.Year(), d.Month(), d.Day(), slug)
	case 1:
		t = fmt.Sprintf("/%s/%s-%d.html", hs.section, slug, id)
	case 2:
		t = fmt.Sprintf("/story.php?id=%d", id)
	case 3:
		t = fmt.Sprintf("/%s/%s", hs.section, slug)
	case 4:
		t = fmt.Sprintf("/news/%d/%s/", id, slug)
	default:
		t = fmt.Sprintf("/%s/%04d/%02d/%02d/%s.html", hs.section, d.Year(), d.Month(), d.Day(), slug)
	}
	if _, taken := hs.routes[t]; taken {
		t = fmt.Sprintf("/%s/%s-%d/", hs.section, slug, id)
	}
	hs.routes[t] = route{kind: pageArticle, index: i}
	return t
}

// pickRelated links an article to up to two others on its host and one on
// another host.
func (s *Site) pickRelated(rng *rand.Rand, i int) []int {
	h := s.articles[i].host
	first := h * s.opts.PerHost
	last := min(first+s.opts.PerHost, len(s.articles))
	var out []int
	for range 2 {
		if last-first < 2 {
			break
		}
		j := first + rng.IntN(last-first)
		if j != i && !contains(out, j) {
			out = append(out, j)
		}
	}
	if len(s.hosts) > 1 {
		j := rng.IntN(len(s.articles))
		if s.articles[j].host != h {
			out = append(out, j)
		}
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// planHost lays out a host's section pages (a third of hosts paginate
// their section over two pages), feed, sitemap and robots.txt.
func (s *Site) planHost(rng *rand.Rand, h int) {
	hs := &s.hosts[h]
	first := h * s.opts.PerHost
	last := min(first+s.opts.PerHost, len(s.articles))
	var all []int
	// Newest first, as section pages list them.
	for i := last - 1; i >= first; i-- {
		all = append(all, i)
	}
	if len(all) >= 4 && rng.IntN(3) == 0 {
		half := (len(all) + 1) / 2
		hs.listings = [][]int{all[:half], all[half:]}
	} else {
		hs.listings = [][]int{all}
	}
	for p := range hs.listings {
		hs.routes[listingTarget(hs.section, p)] = route{kind: pageListing, index: p}
	}
	hs.routes["/robots.txt"] = route{kind: pageRobots}
	hs.routes["/feed.xml"] = route{kind: pageFeed}
	hs.routes["/sitemap.xml"] = route{kind: pageSitemap}
}

func listingTarget(section string, page int) string {
	if page == 0 {
		return "/section/" + section + "/"
	}
	return fmt.Sprintf("/section/%s/page/%d/", section, page+1)
}

// titleOf makes a headline from a slug.
func titleOf(slug string, n int) string {
	if slug == "story" {
		return fmt.Sprintf("Story %d", n)
	}
	words := strings.Split(slug, "-")
	if len(words) > 0 && len(words[0]) > 0 {
		words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	}
	return strings.Join(words, " ")
}

// Hosts is the number of hosts.
func (s *Site) Hosts() int { return len(s.hosts) }

// Pages is the number of article pages.
func (s *Site) Pages() int { return len(s.articles) }

// HostName returns host h's name (0 ≤ h < Hosts()).
func (s *Site) HostName(h int) string { return s.hosts[h].name }

// origin is the scheme and authority of host h with port (none if "").
func (s *Site) origin(h int, port string) string {
	if port == "" {
		return "http://" + s.hosts[h].name
	}
	return "http://" + net.JoinHostPort(s.hosts[h].name, port)
}

// ArticleURL returns article i's URL (0 ≤ i < Pages()) on a server
// listening on port.
func (s *Site) ArticleURL(i int, port string) string {
	a := s.articles[i]
	return s.origin(a.host, port) + a.target
}

// ArticleURLs returns every article's URL, in story order.
func (s *Site) ArticleURLs(port string) []string {
	out := make([]string, len(s.articles))
	for i := range s.articles {
		out[i] = s.ArticleURL(i, port)
	}
	return out
}

// SeedURLs returns every host's section pages, the seeds of a crawl that
// reaches every article at depth 1 (a paginated section has two).
func (s *Site) SeedURLs(port string) []string {
	var out []string
	for h, hs := range s.hosts {
		for p := range hs.listings {
			out = append(out, s.origin(h, port)+listingTarget(hs.section, p))
		}
	}
	return out
}

// ListingOf returns the URL of the section page that lists article i: the
// page a crawl finds it on.
func (s *Site) ListingOf(i int, port string) string {
	a := s.articles[i]
	hs := &s.hosts[a.host]
	for p, l := range hs.listings {
		if contains(l, i) {
			return s.origin(a.host, port) + listingTarget(hs.section, p)
		}
	}
	return s.origin(a.host, port) + listingTarget(hs.section, 0)
}

// RequestsPerHost returns the most requests a crawl of the seeds sends to
// one host: robots.txt, its section pages and its articles. With a delay
// between requests to a host, (that - 1) × delay bounds the crawl's
// duration from below.
func (s *Site) RequestsPerHost() int {
	most := 0
	for _, hs := range s.hosts {
		n := 1
		for _, l := range hs.listings {
			n += 1 + len(l)
		}
		most = max(most, n)
	}
	return most
}
