package export

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// stallDays is how many days without a capture, up to the end of the
// period, make a source count as stalled; shorter gaps are listed too.
const stallDays = 2

// maxListed bounds long tables (hosts, gaps) in the datasheet.
const maxListed = 50

// sheet aggregates what a datasheet says about the rows as they are
// written. It holds counts per source, day, language and host: bounded by
// the period and the archive's breadth, never by the number of rows.
type sheet struct {
	rows, paywalled, withDups int
	first, last               time.Time
	sources                   map[string]*sourceStats
	days                      map[string]int
	languages                 map[string]int
	hosts                     map[string]int
	pageTypes                 map[string]int
	kinds                     map[string]int
}

type sourceStats struct {
	rows        int
	first, last time.Time
	days        map[string]int
}

func newSheet() *sheet {
	return &sheet{
		sources: map[string]*sourceStats{}, days: map[string]int{}, languages: map[string]int{},
		hosts: map[string]int{}, pageTypes: map[string]int{}, kinds: map[string]int{},
	}
}

const dayLayout = "2006-01-02"

func (s *sheet) add(e catalog.Entry, hasDups bool) {
	t := e.FetchedAt.UTC()
	if s.rows == 0 || t.Before(s.first) {
		s.first = t
	}
	if s.rows == 0 || t.After(s.last) {
		s.last = t
	}
	s.rows++
	if e.Paywalled {
		s.paywalled++
	}
	if hasDups {
		s.withDups++
	}
	day := t.Format(dayLayout)
	s.days[day]++
	s.languages[orUnknown(e.Language)]++
	s.hosts[orUnknown(e.Host)]++
	s.pageTypes[orUnknown(e.PageType)]++
	s.kinds[orUnknown(e.Kind)]++
	src := s.sources[e.Source]
	if src == nil {
		src = &sourceStats{first: t, last: t, days: map[string]int{}}
		s.sources[e.Source] = src
	}
	src.rows++
	if t.Before(src.first) {
		src.first = t
	}
	if t.After(src.last) {
		src.last = t
	}
	src.days[day]++
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func sourceName(s string) string {
	if s == "" {
		return "(no source: one-off crawls)"
	}
	return s
}

// sheetInfo is what the datasheet says about the export itself.
type sheetInfo struct {
	name     string
	opts     *Options
	manifest *Manifest
	crawlLog []string
}

// render writes the datasheet as Markdown. Everything is sorted, so the
// same rows give the same bytes.
func (s *sheet) render(info sheetInfo) string {
	var b strings.Builder
	o := info.opts
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Datasheet: %s\n\n", info.name)
	w("Exported %s by %s %s (extractor %s %s) from %s.\n\n",
		o.Now.UTC().Format(time.RFC3339), o.Software.Name, o.Software.Version, o.Extractor.Name, o.Extractor.Version, o.Archive)

	w("## Selection\n\n")
	w("| | |\n| --- | --- |\n")
	w("| format | %s |\n", o.Format)
	for _, f := range queryLines(o.Query) {
		w("| %s | %s |\n", f[0], mdCell(f[1]))
	}
	if len(o.With.names()) > 0 {
		w("| optional fields | %s |\n", strings.Join(o.With.names(), ", "))
	}
	if oi := outlinksInfo(o.With); oi != nil {
		w("| outlinks | %s |\n", oi)
	}
	w("| one row per near-duplicate cluster | %t |\n", o.Dedupe)
	if n := info.manifest.ExcludedByEmbargo; n > 0 {
		w("| left out (under embargo) | %d |\n", n)
	}
	w("| rows | %d |\n\n", s.rows)

	w("## Coverage\n\n")
	if s.rows == 0 {
		w("No captures matched.\n\n")
	} else {
		start, end := s.period(o.Query)
		total := int(end.Sub(start).Hours()/24) + 1
		w("Captures from %s to %s. Period covered: %s to %s (%s), %d of them with captures.\n\n",
			s.first.Format(time.RFC3339), s.last.Format(time.RFC3339), start.Format(dayLayout), end.Format(dayLayout), days(total), len(s.days))
		w("Paywalled or consent-walled pages: %d of %d (%.1f%%).\n\n", s.paywalled, s.rows, 100*float64(s.paywalled)/float64(s.rows))
	}

	w("## Sources\n\n")
	w("| source | captures | first | last | days with captures |\n| --- | ---: | --- | --- | ---: |\n")
	for _, name := range sortedKeys(s.sources) {
		src := s.sources[name]
		w("| %s | %d | %s | %s | %d |\n", mdCell(sourceName(name)), src.rows,
			src.first.Format(time.RFC3339), src.last.Format(time.RFC3339), len(src.days))
	}
	w("\n")

	w("## Captures per day\n\n")
	names := sortedKeys(s.sources)
	perSource := len(names) > 1 && len(names) <= 8
	w("| day | captures |")
	if perSource {
		for _, n := range names {
			w(" %s |", mdCell(sourceName(n)))
		}
	}
	w("\n| --- | ---: |")
	if perSource {
		b.WriteString(strings.Repeat(" ---: |", len(names)))
	}
	w("\n")
	for _, day := range sortedKeys(s.days) {
		w("| %s | %d |", day, s.days[day])
		if perSource {
			for _, n := range names {
				w(" %d |", s.sources[n].days[day])
			}
		}
		w("\n")
	}
	w("\n")

	s.countTable(&b, "Languages", "language", s.languages, 0)
	s.countTable(&b, "Hosts", "host", s.hosts, maxListed)
	s.countTable(&b, "Page types", "page type", s.pageTypes, 0)
	s.countTable(&b, "Capture kinds", "kind", s.kinds, 0)

	w("## Near-duplicates\n\n")
	if nd := info.manifest.NearDuplicates; nd != nil {
		w("%s over word %d-shingles; texts with an estimated Jaccard resemblance of %.2f or more are near-duplicates. "+
			"%d clusters among the selected captures; %d captures have at least one near-duplicate (%d of the exported rows).\n\n",
			nd.Method, nd.ShingleWords, nd.Threshold, nd.Clusters, nd.RowsInClusters, s.withDups)
	} else {
		w("Not computed for this format.\n\n")
	}

	w("## Known gaps\n\n")
	s.gaps(&b, o.Query)
	w("\n### Crawl log\n\n")
	if len(info.crawlLog) == 0 {
		w("No crawl log available: failed URLs and stalled crawls are not recorded in this archive.\n")
	}
	for _, l := range info.crawlLog {
		w("- %s\n", l)
	}
	return b.String()
}

func (s *sheet) countTable(b *strings.Builder, title, what string, counts map[string]int, limit int) {
	fmt.Fprintf(b, "## %s\n\n| %s | captures |\n| --- | ---: |\n", title, what)
	keys := sortedKeys(counts)
	slices.SortStableFunc(keys, func(a, c string) int { return counts[c] - counts[a] })
	for i, k := range keys {
		if limit > 0 && i == limit {
			fmt.Fprintf(b, "| (%d more) | |\n", len(keys)-limit)
			break
		}
		fmt.Fprintf(b, "| %s | %d |\n", mdCell(k), counts[k])
	}
	b.WriteString("\n")
}

// period is the span the datasheet judges coverage over: the query's
// capture window where it sets one, else the first to the last capture.
func (s *sheet) period(q Query) (time.Time, time.Time) {
	start, end := s.first, s.last
	if q.Since != nil {
		start = q.Since.UTC()
	}
	if q.Until != nil && q.Until.Before(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		end = q.Until.UTC()
	}
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	return day(start), day(end)
}

// gaps lists days without captures: per source, runs of stallDays or more
// missing days between the period's start and end; a run reaching the
// end is a stalled source.
func (s *sheet) gaps(b *strings.Builder, q Query) {
	if s.rows == 0 {
		b.WriteString("No captures, so no coverage to judge.\n")
		return
	}
	start, end := s.period(q)
	listed := 0
	for _, name := range sortedKeys(s.sources) {
		src := s.sources[name]
		var run []time.Time
		report := func() {
			if len(run) < stallDays {
				return
			}
			listed++
			if listed > maxListed {
				return
			}
			what := "no captures"
			if run[len(run)-1].Equal(end) {
				what = "stalled: no captures"
			}
			fmt.Fprintf(b, "- %s: %s from %s to %s (%s)\n", mdCell(sourceName(name)), what,
				run[0].Format(dayLayout), run[len(run)-1].Format(dayLayout), days(len(run)))
		}
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			if src.days[d.Format(dayLayout)] > 0 {
				report()
				run = run[:0]
				continue
			}
			run = append(run, d)
		}
		report()
	}
	if listed > maxListed {
		fmt.Fprintf(b, "- (%d more gaps)\n", listed-maxListed)
	}
	if listed == 0 {
		fmt.Fprintf(b, "Every source has captures on every stretch of %d days in the period.\n", stallDays)
	}
}

// queryLines lists the query's settings that are set, for the datasheet.
func queryLines(q Query) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	add("full-text query", q.Text)
	add("url", q.URL)
	add("host", q.Host)
	add("source", q.Source)
	add("tag", q.Tag)
	add("language", q.Language)
	add("author", q.Author)
	add("page type", q.PageType)
	add("captured since", t(q.Since))
	add("captured until", t(q.Until))
	add("published since", t(q.PublishedSince))
	add("published until", t(q.PublishedUntil))
	add("versions", q.Versions)
	if q.Limit > 0 {
		add("limit", fmt.Sprint(q.Limit))
	}
	if q.Sample > 0 {
		add("random sample", fmt.Sprintf("%d (seed %d)", q.Sample, q.Seed))
	}
	return out
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
