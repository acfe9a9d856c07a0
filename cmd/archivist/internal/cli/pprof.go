package cli

import (
	"net/http"
	"net/http/pprof"
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
