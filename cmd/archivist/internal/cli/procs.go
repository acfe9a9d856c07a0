package cli

import "log/slog"

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
