// Package bench is the benchmark harness behind `archivist bench`: it
// serves a generated fixture site (package benchsite) from a child
// process, measures each stage of the capture pipeline alone over the same
// pages, in process, with the functions the crawl itself calls (the colly
// Fetcher, the extractor, the WARC writer, the stores, the SQLite
// catalog), then runs the real `archivist crawl` over the whole fixture as
// a child process with default politeness, and reports pages per second,
// CPU per page and peak memory of each, the CPU ceiling the stages allow
// and how close the pipeline came to it, and the storage overhead per
// capture.
//
// CPU is measured, not wall time alone: getrusage deltas around each
// stage's work in this process, and the crawl child's own rusage, so the
// fixture server's CPU (another process) is never counted, and a busy
// machine slows the figures down but does not inflate CPU per page much.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
	"github.com/archivist-project/archivist/crawler"
)

// Config says what to measure and how.
type Config struct {
	Pages   int   // article pages of the fixture
	PerHost int   // articles per host
	Seed    int64 // fixture layout seed
	EvalDir string

	// Exe is the archivist binary run as the fixture server (`bench-site`)
	// and as the crawl; ExeEnv is added to their environment.
	Exe    string
	ExeEnv []string

	// Crawler and Capture are the crawl command's settings, built from
	// the default configuration exactly as `archivist crawl` builds them.
	// The fetch stage turns politeness off; the crawl keeps it.
	Crawler crawler.Config
	Capture capture.Config
	// Parallelism is the crawl's parallelism (crawl.parallelism), used by
	// the stages that wait on disk or network as the crawl's workers do.
	Parallelism int

	// MinioBin, when set, adds a store stage writing to a MinIO server the
	// harness starts on loopback.
	MinioBin string

	// WorkDir holds the stages' stores and catalogs and the crawl's data
	// directory; a temporary directory when empty. Keep leaves it.
	WorkDir string
	Keep    bool

	// Stages and Pipeline select what runs.
	Stages   bool
	Pipeline bool
	// Batch is how many pages go through the stages at a time, which
	// bounds the harness's memory (0: 200).
	Batch int

	Progress Progress     // may be nil
	Out      io.Writer    // one line per phase (nil: discarded)
	Log      *slog.Logger // nil: discarded
}

// Progress draws a bar on a terminal (the CLI's progress bar).
type Progress interface {
	Phase(name string, total int64)
	Add(n int)
	Done()
}

// Report is everything one run measured; it is what --json writes.
type Report struct {
	Machine  Machine   `json:"machine"`
	Fixture  Fixture   `json:"fixture"`
	Stages   []Stage   `json:"stages,omitempty"`
	Ceiling  *Ceiling  `json:"ceiling,omitempty"`
	Pipeline *Pipeline `json:"pipeline,omitempty"`
	Drift    Drift     `json:"drift"`
	Targets  []Target  `json:"targets"`
}

// Machine describes where and with what the run happened.
type Machine struct {
	Started      time.Time `json:"started"`
	NumCPU       int       `json:"num_cpu"`
	GOMAXPROCS   int       `json:"gomaxprocs"`
	OS           string    `json:"os"`
	Arch         string    `json:"arch"`
	CPUModel     string    `json:"cpu_model,omitempty"`
	GoVersion    string    `json:"go_version"`
	Software     string    `json:"software"`
	Commit       string    `json:"commit,omitempty"`
	Modified     bool      `json:"modified,omitempty"`
	LoadAvgStart string    `json:"load_average_start,omitempty"`
	LoadAvgEnd   string    `json:"load_average_end,omitempty"`
	// GOGC is the garbage collector's target while the stages ran (the
	// crawl sets its own, the same unless GOGC is in the environment).
	GOGC int `json:"gogc"`
	// PGO names the profile the binary was built with (cmd/archivist's
	// default.pgo unless built with -pgo=off; empty without one).
	PGO string `json:"pgo,omitempty"`
	// HarnessPeakRSSBytes is this process's peak resident set over the
	// stages (all stages share it).
	HarnessPeakRSSBytes uint64 `json:"harness_peak_rss_bytes,omitempty"`
}

// Fixture describes the generated site.
type Fixture struct {
	Pages           int     `json:"pages"`
	Hosts           int     `json:"hosts"`
	PerHost         int     `json:"per_host"`
	Seed            int64   `json:"seed"`
	SeedURLs        int     `json:"seed_urls"`
	RequestsPerHost int     `json:"max_requests_per_host"`
	SourcePages     int     `json:"source_pages"`
	MeanPageBytes   float64 `json:"mean_page_bytes"`
}

// Stage is one stage measured alone over the fixture's article pages.
type Stage struct {
	Name      string `json:"name"`
	What      string `json:"what"`
	Workers   int    `json:"workers"`
	Pages     int    `json:"pages"`
	InCeiling bool   `json:"in_ceiling"`

	WallSeconds    float64 `json:"wall_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	UserSeconds    float64 `json:"user_seconds"`
	SysSeconds     float64 `json:"sys_seconds"`
	PagesPerSecond float64 `json:"pages_per_second"`
	CPUMsPerPage   float64 `json:"cpu_ms_per_page"`

	AllocBytesPerPage float64 `json:"alloc_bytes_per_page"`
	AllocsPerPage     float64 `json:"allocs_per_page"`
	PeakHeapBytes     uint64  `json:"peak_heap_bytes"`
	// ServerCPUMsPerPage is the CPU of the server the stage talks to
	// (MinIO), not included in CPUMsPerPage.
	ServerCPUMsPerPage float64 `json:"server_cpu_ms_per_page,omitempty"`
	Note               string  `json:"note,omitempty"`
}

// Ceiling is the throughput the stages' CPU allows: every CPU busy, each
// page costing the sum of the stages' CPU per page.
type Ceiling struct {
	CPUs           int      `json:"cpus"`
	CPUMsPerPage   float64  `json:"cpu_ms_per_page"`
	PagesPerSecond float64  `json:"pages_per_second"`
	Stages         []string `json:"stages"`
}

// Pipeline is the real crawl over the whole fixture.
type Pipeline struct {
	Command string `json:"command"`
	Seeds   int    `json:"seeds"`
	Hosts   int    `json:"hosts"`
	// Generated articles, the ones captured, and the other captures
	// (section pages, kept as seeds).
	Generated       int `json:"generated"`
	Captured        int `json:"captured"`
	ListingCaptures int `json:"listing_captures"`
	OtherCaptures   int `json:"other_captures"`
	// CapturedPages counts every capture (articles, section pages,
	// others): the pages PagesPerSecond and CPUMsPerPage are over, as the
	// stages' figures are over the articles and section pages.
	CapturedPages int `json:"captured_pages"`
	// From the crawl's summary line.
	Fetched  int `json:"fetched"`
	Archived int `json:"archived"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`

	WallSeconds    float64 `json:"wall_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	UserSeconds    float64 `json:"user_seconds"`
	SysSeconds     float64 `json:"sys_seconds"`
	PagesPerSecond float64 `json:"pages_per_second"`
	CPUMsPerPage   float64 `json:"cpu_ms_per_captured_page"`
	PeakRSSBytes   uint64  `json:"peak_rss_bytes"`
	// PeakRSSFirstHalfBytes is the peak over the first half of the wall
	// time: memory that does not grow with the pages peaks early, so it
	// is close to PeakRSSBytes (0 without /proc).
	PeakRSSFirstHalfBytes uint64 `json:"peak_rss_first_half_bytes,omitempty"`
	// FractionOfCeiling is PagesPerSecond over the stages' ceiling (0
	// when the stages did not run).
	FractionOfCeiling float64 `json:"fraction_of_ceiling,omitempty"`
	// CPUBoundFraction is the stages' CPU per page over the pipeline's:
	// the share of the ceiling the crawl would reach with every CPU its
	// own. Unlike FractionOfCeiling it does not drop when other work
	// shares the machine.
	CPUBoundFraction float64 `json:"cpu_bound_fraction,omitempty"`
	// CPUUtilisation is the crawl's CPU ÷ (wall × CPUs): below 1 it
	// waited (on politeness, disk, or CPUs busy with other work).
	CPUUtilisation float64 `json:"cpu_utilisation"`
	// ServerCPUSeconds is the CPU the fixture server (a child process)
	// spent while the crawl ran: it shares the machine's CPUs with the
	// crawl, so the crawl cannot have them all. 0 when unknown (no /proc).
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`

	Politeness Politeness `json:"politeness"`
	Storage    Storage    `json:"storage"`
}

// Politeness is the floor default politeness puts under the crawl's
// duration, so a reader can tell whether it, not the CPU, bounded the run.
type Politeness struct {
	DelaySeconds       float64 `json:"per_host_delay_seconds"`
	PerHostParallelism int     `json:"per_host_parallelism"`
	Hosts              int     `json:"hosts"`
	// MaxRequestsPerHost requests to one host need at least
	// (MaxRequestsPerHost-1) × delay: MinSeconds.
	MaxRequestsPerHost int     `json:"max_requests_per_host"`
	MinSeconds         float64 `json:"min_seconds"`
	// MaxRequestsPerSecond is hosts ÷ delay, all hosts at once.
	MaxRequestsPerSecond float64 `json:"max_requests_per_second"`
	// Bound is set when the crawl took less than 1.25 × MinSeconds:
	// politeness, not the CPU, set its pace.
	Bound bool `json:"bound"`
	// MaxPagesPerSecond is the captured pages ÷ MinSeconds: the most a
	// crawl of this fixture can reach with default politeness, however
	// fast the machine. CapOfCeiling is it over the CPU ceiling (0 when
	// the stages did not run): below 0.85 the share-of-ceiling
	// target cannot be met at this fixture size.
	MaxPagesPerSecond float64 `json:"max_pages_per_second,omitempty"`
	CapOfCeiling      float64 `json:"cap_of_ceiling,omitempty"`
}

// Storage is what the crawl stored per capture, from the files themselves.
type Storage struct {
	Captures        int   `json:"captures"`
	WARCBytes       int64 `json:"warc_bytes"`
	ArticleBytes    int64 `json:"article_bytes"`
	ProvenanceBytes int64 `json:"provenance_bytes"`
	StoredBytes     int64 `json:"stored_bytes"`
	PayloadBytes    int64 `json:"payload_bytes"`
	// CompressedPayloadBytes is the response bodies gzipped at the WARC
	// writer's level (warc.DefaultLevel).
	CompressedPayloadBytes int64 `json:"compressed_payload_bytes"`
	// Overhead is (StoredBytes - CompressedPayloadBytes) ÷
	// CompressedPayloadBytes: WARC framing, Article JSON, provenance.
	Overhead     float64 `json:"overhead"`
	CatalogBytes int64   `json:"catalog_bytes"`
}

// Target is one of issue #9's goals and whether this run met it.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Op    string  `json:"op"` // ">=", "<=", "<"
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
}

// Run measures and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	rep := &Report{Machine: machine()}
	corpus, err := benchsite.LoadCorpus(cfg.EvalDir)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	site, err := benchsite.New(corpus, benchsite.Options{Pages: cfg.Pages, PerHost: cfg.PerHost, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	rep.Fixture = Fixture{
		Pages: site.Pages(), Hosts: site.Hosts(), PerHost: cfg.PerHost, Seed: cfg.Seed,
		SeedURLs: len(site.SeedURLs("")), RequestsPerHost: site.RequestsPerHost(), SourcePages: corpus.Len(),
	}

	work := cfg.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "archivist-bench-"); err != nil {
			return nil, fmt.Errorf("bench: create a work directory: %w (set --work to a writable directory)", err)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, fmt.Errorf("bench: create work directory %s: %w", work, err)
	}
	if !cfg.Keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintf(cfg.Out, "bench: keeping the work directory %s\n", work)
	}

	// The first probe runs before the fixture server starts: loading its
	// pages would share the CPUs with it.
	probe := newSpeedProbe(site)
	rep.Drift.ProbePages = len(probe.bodies)
	if rep.Drift.BeforeStagesMs, err = probe.run(); err != nil {
		return nil, err
	}
	srv, err := startSite(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fmt.Fprintf(cfg.Out, "bench: fixture of %d pages on %d hosts served by a child process at %s\n", site.Pages(), site.Hosts(), srv.addr)

	if cfg.Stages {
		st, err := runStages(ctx, cfg, site, srv.port, filepath.Join(work, "stages"))
		if err != nil {
			return nil, err
		}
		rep.Stages = st.stages
		rep.Fixture.MeanPageBytes = st.meanPageBytes
		rep.Machine.HarnessPeakRSSBytes = selfPeakRSS()
		rep.Ceiling = ceiling(rep.Stages)
		if rep.Drift.AfterStagesMs, err = probe.run(); err != nil {
			return nil, err
		}
	}
	if cfg.Pipeline {
		p, err := runPipeline(ctx, cfg, site, srv, filepath.Join(work, "pipeline"))
		if err != nil {
			return nil, err
		}
		if rep.Ceiling != nil && rep.Ceiling.PagesPerSecond > 0 {
			p.FractionOfCeiling = p.PagesPerSecond / rep.Ceiling.PagesPerSecond
			if p.CPUMsPerPage > 0 {
				p.CPUBoundFraction = rep.Ceiling.CPUMsPerPage / p.CPUMsPerPage
			}
			p.Politeness.CapOfCeiling = p.Politeness.MaxPagesPerSecond / rep.Ceiling.PagesPerSecond
		}
		rep.Pipeline = p
		if rep.Drift.AfterCrawlMs, err = probe.run(); err != nil {
			return nil, err
		}
	}
	rep.Drift.finish()
	rep.Machine.LoadAvgEnd = loadAverage()
	rep.Targets = targets(rep)
	return rep, nil
}

func (c *Config) check() error {
	var errs []error
	if c.Pages < 1 {
		errs = append(errs, fmt.Errorf("pages must be at least 1, got %d", c.Pages))
	}
	if c.PerHost < 1 {
		errs = append(errs, fmt.Errorf("per-host must be at least 1, got %d", c.PerHost))
	}
	if c.Exe == "" {
		errs = append(errs, errors.New("no archivist binary to run the fixture server and the crawl"))
	}
	if !c.Stages && !c.Pipeline {
		errs = append(errs, errors.New("nothing to run: enable the stages, the pipeline or both"))
	}
	if c.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("parallelism must be at least 1, got %d", c.Parallelism))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

func machine() Machine {
	m := Machine{
		Started: time.Now().UTC(), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUModel: cpuModel(), GoVersion: runtime.Version(),
		Software: archive.Software().Version, LoadAvgStart: loadAverage(),
		GOGC: gcPercent(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				m.Commit = s.Value
			case "vcs.modified":
				m.Modified = s.Value == "true"
			case "-pgo":
				m.PGO = filepath.Base(s.Value)
			}
		}
	}
	if m.Commit == "" {
		// Built with -buildvcs=false (go run, some GOFLAGS): ask git about
		// the working directory, which is the repository when run as the
		// README says.
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			m.Commit = strings.TrimSpace(string(out))
			st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
			m.Modified = err == nil && len(bytes.TrimSpace(st)) > 0
		}
	}
	return m
}

// ceiling is what the CPU allows when every CPU runs the stages that make
// up a capture and nothing else.
func ceiling(stages []Stage) *Ceiling {
	c := &Ceiling{CPUs: runtime.NumCPU()}
	for _, s := range stages {
		if s.InCeiling {
			c.CPUMsPerPage += s.CPUMsPerPage
			c.Stages = append(c.Stages, s.Name)
		}
	}
	if c.CPUMsPerPage > 0 {
		c.PagesPerSecond = float64(c.CPUs) * 1000 / c.CPUMsPerPage
	}
	return c
}

// targets compares the run with issue #9's goals.
func targets(rep *Report) []Target {
	var out []Target
	add := func(name string, value, limit float64, op, unit string) {
		met := false
		switch op {
		case ">=":
			met = value >= limit
		case "<=":
			met = value <= limit
		case "<":
			met = value < limit
		}
		out = append(out, Target{Name: name, Value: value, Limit: limit, Op: op, Unit: unit, Met: met})
	}
	p := rep.Pipeline
	if p == nil {
		return out
	}
	if rep.Ceiling != nil && rep.Ceiling.PagesPerSecond > 0 {
		add("pipeline share of the CPU ceiling", 100*p.FractionOfCeiling, 85, ">=", "%")
	}
	add("CPU per captured page", p.CPUMsPerPage, 6, "<=", "ms")
	add("storage overhead per capture", 100*p.Storage.Overhead, 15, "<", "%")
	add("captured of generated pages", float64(p.Captured), float64(p.Generated), ">=", "pages")
	return out
}

// gcPercent is the garbage collector's current GOGC (-1: off).
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int(s[0].Value.Uint64())
}
