package bench

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
	"github.com/archivist-project/archivist/extract"
)

// Drift records how fast the machine ran at the points the report
// compares. The ceiling comes from the stages and the share of it from a
// crawl minutes later; on a shared or virtual machine the same code can
// run tens of percent slower from one minute to the next, and then the
// share measures the machine as much as the crawl. A fixed workload (the
// speed probe) timed before the stages, between the stages and the
// crawl, and after the crawl shows how far apart those speeds were.
type Drift struct {
	// ProbePages is the probe's workload: extract.Extract over this many
	// fixture articles, on one locked OS thread, five times; a probe's
	// figure is the fastest pass's thread CPU per page (the slower ones
	// caught interruptions).
	ProbePages int `json:"probe_pages"`
	// Milliseconds of CPU a page at each point (0: not measured).
	BeforeStagesMs float64 `json:"before_stages_ms,omitempty"`
	AfterStagesMs  float64 `json:"after_stages_ms,omitempty"`
	AfterCrawlMs   float64 `json:"after_crawl_ms,omitempty"`
	// Spread is the slowest probe over the fastest, less one.
	Spread float64 `json:"spread"`
	// CrawlSlowdown estimates how much slower the machine ran during the
	// crawl than during the stages: the mean of the probes around the
	// crawl over the mean of those around the stages (1: the same speed;
	// 0 when either part did not run).
	CrawlSlowdown float64 `json:"crawl_slowdown,omitempty"`
}

// probePages is the size of the probe: about a fifth of a second a pass.
const probePages = 24

// speedProbe times the probe workload.
type speedProbe struct {
	bodies [][]byte
	urls   []string
}

func newSpeedProbe(site *benchsite.Site) *speedProbe {
	p := &speedProbe{}
	// The port only appears in links; any fixed value gives fixed bytes.
	const port = "8080"
	for i := range min(probePages, site.Pages()) {
		p.bodies = append(p.bodies, site.ArticleBody(i, port))
		p.urls = append(p.urls, site.ArticleURL(i, port))
	}
	return p
}

// run returns the fastest pass's CPU milliseconds per page.
func (p *speedProbe) run() (float64, error) {
	if len(p.bodies) == 0 {
		return 0, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Start each probe from a collected heap, so that garbage left by
	// what ran before does not bill its collection to the probe.
	runtime.GC()
	var passes []float64
	for range 5 {
		before := threadCPU()
		for i, body := range p.bodies {
			if _, err := extract.Extract(body, extract.Options{URL: p.urls[i], ContentType: "text/html; charset=utf-8"}); err != nil {
				return 0, fmt.Errorf("bench: speed probe: %w", err)
			}
		}
		used := threadCPU().sub(before).total()
		passes = append(passes, float64(used.Microseconds())/1000/float64(len(p.bodies)))
	}
	return slices.Min(passes), nil
}

// finish computes the spread and the crawl's slowdown from the probes
// taken.
func (d *Drift) finish() {
	var got []float64
	for _, v := range []float64{d.BeforeStagesMs, d.AfterStagesMs, d.AfterCrawlMs} {
		if v > 0 {
			got = append(got, v)
		}
	}
	if len(got) > 1 {
		d.Spread = slices.Max(got)/slices.Min(got) - 1
	}
	if d.BeforeStagesMs > 0 && d.AfterStagesMs > 0 && d.AfterCrawlMs > 0 {
		d.CrawlSlowdown = (d.AfterStagesMs + d.AfterCrawlMs) / (d.BeforeStagesMs + d.AfterStagesMs)
	}
}
