package cli

import (
	"fmt"
	goio "io"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	runpprof "runtime/pprof"
	"runtime/trace"
	"time"
)

// debugPprofEnv, set to 1, makes `serve` answer the Go runtime's profiles
// under /debug/pprof/ on its listen address, so the memory and CPU of a
// long-running daemon can be measured where it runs (`go tool pprof
// http://127.0.0.1:8080/debug/pprof/heap`). It is off by default: the
// profiles reveal the program's internals to whoever reaches the address,
// and a CPU profile costs CPU while it is taken.
const debugPprofEnv = "ARCHIVIST_DEBUG_PPROF"

// withPprof adds /debug/pprof/ to h when debugPprofEnv is 1.
func withPprof(h http.Handler, io IO) http.Handler {
	if io.Getenv(debugPprofEnv) != "1" {
		return h
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

// cpuProfileEnv names a file that `crawl` writes a CPU profile of the
// whole crawl to (`go tool pprof FILE`), for finding where a crawl's CPU
// goes (`archivist bench` passes it through to the crawl it runs).
const cpuProfileEnv = "ARCHIVIST_DEBUG_CPUPROFILE"

// traceEnv names a file that `crawl` writes a Go execution trace to (`go
// tool trace FILE`): where the CPU profile says what burns CPU, the trace
// says what workers wait on when the CPUs are idle.
const traceEnv = "ARCHIVIST_DEBUG_TRACE"

// memProfileEnv names a file that `crawl` writes a heap profile to
// (`go tool pprof -sample_index=inuse_space FILE`), taken when the
// crawl's heap was at its largest (checked every 2 s): what a crawl's
// peak memory is made of.
const memProfileEnv = "ARCHIVIST_DEBUG_MEMPROFILE"

// startCPUProfile starts the CPU profile and the execution trace that
// cpuProfileEnv and traceEnv ask for, if any, and returns the function
// that stops them.
func startCPUProfile(io IO) (stop func(), err error) {
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, p := range []struct {
		env   string
		start func(goio.Writer) error
		stop  func()
	}{
		{cpuProfileEnv, runpprof.StartCPUProfile, runpprof.StopCPUProfile},
		{traceEnv, trace.Start, trace.Stop},
	} {
		path := io.Getenv(p.env)
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("%s: %w", p.env, err)
		}
		if err := p.start(f); err != nil {
			f.Close()
			stopAll()
			return nil, fmt.Errorf("%s: %w", p.env, err)
		}
		stops = append(stops, func() {
			p.stop()
			f.Close()
		})
	}
	if path := io.Getenv(memProfileEnv); path != "" {
		stops = append(stops, watchHeap(path))
	}
	return stopAll, nil
}

// watchHeap writes a heap profile to path whenever the heap in use has
// grown past its largest size so far, until the returned function is
// called. Write errors are ignored: the profile is a debugging aid.
func watchHeap(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var largest uint64
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse <= largest {
				continue
			}
			largest = ms.HeapInuse
			if f, err := os.Create(path); err == nil {
				_ = runpprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}()
	return func() { close(done); <-finished }
}
