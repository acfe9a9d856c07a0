package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as the tables the README shows.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	m, f := r.Machine, r.Fixture
	commit := m.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if m.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "\nArchivist %s, commit %s, %s, %d CPUs (%s), load average %s at start, %s at end\n",
		m.Software, orDash(commit), m.GoVersion, m.NumCPU, orDash(m.CPUModel), orDash(m.LoadAvgStart), orDash(m.LoadAvgEnd))
	fmt.Fprintf(&b, "Fixture: %d article pages on %d hosts (%d a host, seed %d), %d section pages (the seeds), from %d real pages",
		f.Pages, f.Hosts, f.PerHost, f.Seed, f.SeedURLs, f.SourcePages)
	if f.MeanPageBytes > 0 { // measured by the stages, which fetch every page
		fmt.Fprintf(&b, ", %.0f KB a page on average", f.MeanPageBytes/1024)
	}
	fmt.Fprintf(&b, "; GOGC %d, profile-guided build: %s\n", m.GOGC, orDash(m.PGO))

	if len(r.Stages) > 0 {
		b.WriteString("\nEach stage alone, in process, over the same pages (CPU from getrusage):\n\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "stage\tworkers\tpages/s\tCPU ms/page\talloc KB/page\tallocs/page\tpeak heap MB\tin ceiling\t")
		for _, s := range r.Stages {
			in := "yes"
			if !s.InCeiling {
				in = "no"
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.0f\t%.0f\t%.0f\t%s\t\n", s.Name, s.Workers, s.PagesPerSecond, s.CPUMsPerPage,
				s.AllocBytesPerPage/1024, s.AllocsPerPage, float64(s.PeakHeapBytes)/(1<<20), in)
		}
		tw.Flush()
		for _, s := range r.Stages {
			fmt.Fprintf(&b, "  %-12s %s", s.Name, s.What)
			if s.ServerCPUMsPerPage > 0 {
				fmt.Fprintf(&b, "; the server's own CPU %.2f ms/page", s.ServerCPUMsPerPage)
			}
			if s.Note != "" {
				fmt.Fprintf(&b, "; %s", s.Note)
			}
			b.WriteString("\n")
		}
		if c := r.Ceiling; c != nil && c.PagesPerSecond > 0 {
			fmt.Fprintf(&b, "\nCPU ceiling: %d CPUs ÷ %.2f ms a page (%s) = %.0f pages/s\n",
				c.CPUs, c.CPUMsPerPage, strings.Join(c.Stages, " + "), c.PagesPerSecond)
		}
		if m.HarnessPeakRSSBytes > 0 {
			fmt.Fprintf(&b, "Harness peak RSS over the stages: %.0f MB\n", float64(m.HarnessPeakRSSBytes)/(1<<20))
		}
	}

	if p := r.Pipeline; p != nil {
		fmt.Fprintf(&b, "\nWhole pipeline: %s\n", p.Command)
		fmt.Fprintf(&b, "  captured %d of %d articles (+%d section pages, %d other); crawl summary: %d fetched, %d archived, %d skipped, %d failed\n",
			p.Captured, p.Generated, p.ListingCaptures, p.OtherCaptures, p.Fetched, p.Archived, p.Skipped, p.Failed)
		fmt.Fprintf(&b, "  wall %.1f s: %.1f pages/s (%d pages captured)", p.WallSeconds, p.PagesPerSecond, p.CapturedPages)
		if p.FractionOfCeiling > 0 {
			fmt.Fprintf(&b, " = %.0f%% of the CPU ceiling", 100*p.FractionOfCeiling)
		}
		fmt.Fprintf(&b, "\n  CPU %.1f s (user %.1f, sys %.1f): %.2f ms per captured page, %.0f%% of %d CPUs over the wall time; peak RSS %.0f MB\n",
			p.CPUSeconds, p.UserSeconds, p.SysSeconds, p.CPUMsPerPage, 100*p.CPUUtilisation, m.NumCPU, float64(p.PeakRSSBytes)/(1<<20))
		if h := p.PeakRSSFirstHalfBytes; h > 0 {
			fmt.Fprintf(&b, "  peak RSS over the first half of the wall time %.0f MB: the second half, with as many pages again, added %.0f MB\n",
				float64(h)/(1<<20), float64(p.PeakRSSBytes-h)/(1<<20))
		}
		if p.ServerCPUSeconds > 0 {
			fmt.Fprintf(&b, "  the fixture server (a child process) used %.1f s of CPU meanwhile, %.0f%% of %d CPUs: with the crawl, %.0f%%\n",
				p.ServerCPUSeconds, 100*p.ServerCPUSeconds/(p.WallSeconds*float64(m.NumCPU)), m.NumCPU,
				100*(p.CPUSeconds+p.ServerCPUSeconds)/(p.WallSeconds*float64(m.NumCPU)))
		}
		if p.CPUBoundFraction > 0 {
			fmt.Fprintf(&b, "  with every CPU its own, the crawl would reach %.0f%% of the ceiling (stages' %.2f ms ÷ its %.2f ms a page)\n",
				100*p.CPUBoundFraction, r.Ceiling.CPUMsPerPage, p.CPUMsPerPage)
		}
		pol := p.Politeness
		bound := "no: the crawl took longer than politeness requires"
		if pol.Bound {
			bound = "yes: the crawl took about as long as politeness requires"
		}
		fmt.Fprintf(&b, "  politeness: %g s between requests to a host, %d at once; up to %d requests on a host need ≥ %.0f s; %d hosts allow ≤ %.0f requests/s. Bounded by politeness: %s\n",
			pol.DelaySeconds, pol.PerHostParallelism, pol.MaxRequestsPerHost, pol.MinSeconds, pol.Hosts, pol.MaxRequestsPerSecond, bound)
		if pol.MaxPagesPerSecond > 0 {
			fmt.Fprintf(&b, "  politeness alone caps this fixture at %.0f pages/s", pol.MaxPagesPerSecond)
			if pol.CapOfCeiling > 0 {
				fmt.Fprintf(&b, " = %.0f%% of the CPU ceiling", 100*pol.CapOfCeiling)
				if pol.CapOfCeiling < 0.85 {
					b.WriteString(" (below 85%: at this size politeness, not the CPU, caps the share of the ceiling; a larger fixture tests that target)")
				}
			}
			b.WriteString("\n")
		}
		s := p.Storage
		fmt.Fprintf(&b, "  storage: %d captures, %.1f MB stored (WARC %.1f, Article %.1f, provenance %.1f); payload %.1f MB, %.1f MB gzipped; overhead %.1f%%; catalog %.1f MB\n",
			s.Captures, mb(s.StoredBytes), mb(s.WARCBytes), mb(s.ArticleBytes), mb(s.ProvenanceBytes),
			mb(s.PayloadBytes), mb(s.CompressedPayloadBytes), 100*s.Overhead, mb(s.CatalogBytes))
	}

	writeDrift(&b, r)

	if len(r.Targets) > 0 {
		b.WriteString("\nTargets (issue #9):\n")
		for _, t := range r.Targets {
			mark := "MET"
			if !t.Met {
				mark = "not met"
			}
			fmt.Fprintf(&b, "  %-36s %10.2f %s (target %s %g)  %s\n", t.Name, t.Value, t.Unit, t.Op, t.Limit, mark)
		}
		writeFloor(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeDrift prints the speed probes: how far apart the machine's speeds
// were when the ceiling and the crawl were measured.
func writeDrift(b *strings.Builder, r *Report) {
	d := r.Drift
	if d.ProbePages == 0 {
		return
	}
	var at []string
	for _, p := range []struct {
		name string
		ms   float64
	}{{"before the stages", d.BeforeStagesMs}, {"after them", d.AfterStagesMs}, {"after the crawl", d.AfterCrawlMs}} {
		if p.ms > 0 {
			at = append(at, fmt.Sprintf("%.2f %s", p.ms, p.name))
		}
	}
	fmt.Fprintf(b, "\nMachine speed (speed probe: CPU ms a page to extract %d fixture pages on one thread): %s; spread %.0f%%\n",
		d.ProbePages, strings.Join(at, ", "), 100*d.Spread)
	if p := r.Pipeline; d.CrawlSlowdown > 0 && p != nil && p.FractionOfCeiling > 0 {
		fmt.Fprintf(b, "  around the crawl the machine ran at %.2f× the stages' CPU time for the same work; at the stages' speed the crawl's share of the ceiling would be about %.0f%% (an estimate; the target uses the figure measured)\n",
			d.CrawlSlowdown, 100*p.FractionOfCeiling*d.CrawlSlowdown)
	}
}

// writeFloor says how much of the CPU-per-page target the extraction
// library and the WARC's compression take by themselves in this run: two
// costs no change to Archivist's own code removes.
func writeFloor(b *strings.Builder, r *Report) {
	var lib, warc float64
	for _, s := range r.Stages {
		switch s.Name {
		case "readability":
			lib = s.CPUMsPerPage
		case "warc":
			warc = s.CPUMsPerPage
		}
	}
	if lib == 0 || warc == 0 {
		return
	}
	fmt.Fprintf(b, "  floor of the CPU per page: the extraction library alone (stage readability) %.2f ms + the WARC stage %.2f ms = %.2f ms, before the rest of extraction, storage and the catalog\n",
		lib, warc, lib+warc)
}
