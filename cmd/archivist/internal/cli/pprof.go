package cli

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	runpprof "runtime/pprof"
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

// startCPUProfile starts the CPU profile cpuProfileEnv asks for, if any,
// and returns the function that stops it.
func startCPUProfile(io IO) (stop func(), err error) {
	path := io.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := runpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	return func() {
		runpprof.StopCPUProfile()
		f.Close()
	}, nil
}
