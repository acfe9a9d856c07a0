package cli

import "log/slog"

// tuneForCapture sets the runtime up for capture work, as `crawl` and
// `serve` do: crawlProcs and crawlGC, each unless its environment
// variable is set.
func tuneForCapture(io IO, log *slog.Logger) {
	crawlProcs(io, log)
	crawlGC(io, log)
}

// crawlProcsFactor is how many Go Ps `crawl` and `serve` run per CPU the
// runtime would use by default. Every capture makes seven fsyncs, and a
// goroutine in fsync keeps its P until the runtime's monitor takes it
// back, which can take up to 10 ms: with one P a CPU, the crawl left its
// CPUs idle 20 % of the time (`archivist bench`: 79–82 % used with 8 or 16
// workers; 87–88 % with two Ps a CPU, and 5–10 % more pages a second).
const crawlProcsFactor = 2

// crawlProcs gives the process crawlProcsFactor Ps per default P, unless
// GOMAXPROCS is set in the environment (the operator's choice stands) or
// io cannot change it (commands run in process by tests).
func crawlProcs(io IO, log *slog.Logger) {
	if io.GOMAXPROCS == nil || io.Getenv("GOMAXPROCS") != "" {
		return
	}
	before := io.GOMAXPROCS(0)
	io.GOMAXPROCS(before * crawlProcsFactor)
	log.Debug("Go Ps raised for blocking fsyncs (set GOMAXPROCS to choose)", "gomaxprocs", before*crawlProcsFactor, "default", before)
}

// crawlGCPercent is the garbage collector's GOGC for `crawl`, `serve`
// and the stages `bench` measures. A capture allocates about 2 MB (the
// parse tree, readability's copies, compression buffers) while its
// worker's live heap is a few MB, so with Go's default of 100 the
// collector ran about ten times a second and took 7–8 % of a crawl's
// CPU (pprof). At 200 a crawl of 3,000 pages executed 7 % fewer user
// instructions (255 → 238 billion, `perf stat`), for 34 MB more peak
// RSS (109 → 143 MB); 300 and 400 saved only 2 and 3 points more, for
// 220 MB at 400. The live heap does not grow with the pages captured, so
// neither does the heap's ceiling.
const crawlGCPercent = 200

// crawlGC sets the collector's target to crawlGCPercent, unless GOGC is
// set in the environment (the operator's choice stands) or io cannot
// change it (commands run in process by tests).
func crawlGC(io IO, log *slog.Logger) {
	if io.SetGCPercent == nil || io.Getenv("GOGC") != "" {
		return
	}
	before := io.SetGCPercent(crawlGCPercent)
	log.Debug("garbage collector's target raised (set GOGC to choose)", "gogc", crawlGCPercent, "default", before)
}
