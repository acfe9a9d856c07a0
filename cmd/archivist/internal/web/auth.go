package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Access levels a request's credentials grant.
const (
	accessNone = iota
	accessRead
	accessAdmin
)

// tokenEqual compares in constant time. Both sides are hashed first so
// that the comparison does not leak the token's length either.
func tokenEqual(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// credentials returns the bearer token and the HTTP Basic password of r
// ("" when absent).
func credentials(r *http.Request) (bearer, basic string) {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		bearer = strings.TrimSpace(tok)
	}
	if _, pw, ok := r.BasicAuth(); ok {
		basic = pw
	}
	return bearer, basic
}

// access tells what r may do. The admin token is accepted only as a
// bearer token: browsers resend Basic credentials on their own, so an
// admin token given that way could be used by a forged cross-site
// request.
func (s *server) access(r *http.Request) int {
	bearer, basic := credentials(r)
	if bearer != "" && tokenEqual(bearer, s.opts.AdminToken) {
		return accessAdmin
	}
	if s.opts.ReadToken == "" {
		return accessRead
	}
	if (bearer != "" && tokenEqual(bearer, s.opts.ReadToken)) || (basic != "" && tokenEqual(basic, s.opts.ReadToken)) {
		return accessRead
	}
	return accessNone
}

// needRead lets through requests that may read.
func (s *server) needRead(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.access(r) >= accessRead {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Add("WWW-Authenticate", `Bearer realm="archivist"`)
		w.Header().Add("WWW-Authenticate", `Basic realm="archivist", charset="UTF-8"`)
		msg := "this archive needs a read token: send \"Authorization: Bearer TOKEN\" (curl -H 'Authorization: Bearer TOKEN'), or HTTP Basic with the token as the password (curl -u :TOKEN)"
		if _, _, ok := r.BasicAuth(); ok || r.Header.Get("Authorization") != "" {
			msg = "the token sent is not this archive's read token: check ARCHIVIST_READ_TOKEN where the server runs"
		}
		writeError(w, http.StatusUnauthorized, msg)
	})
}

// needAdmin lets through requests carrying the admin token.
func (s *server) needAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.AdminToken == "" {
			writeError(w, http.StatusForbidden, "admin routes are disabled: start the server with ARCHIVIST_ADMIN_TOKEN set, then send it as \"Authorization: Bearer TOKEN\"")
			return
		}
		bearer, basic := credentials(r)
		switch {
		case bearer != "" && tokenEqual(bearer, s.opts.AdminToken):
			h.ServeHTTP(w, r)
		case tokenEqual(bearer, s.opts.ReadToken) || tokenEqual(basic, s.opts.ReadToken):
			writeError(w, http.StatusForbidden, "this route needs the admin token, not the read token: send ARCHIVIST_ADMIN_TOKEN as \"Authorization: Bearer TOKEN\"")
		case bearer == "" && basic == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="archivist-admin"`)
			writeError(w, http.StatusUnauthorized, "this route changes the archive or the crawl: send the admin token as \"Authorization: Bearer TOKEN\"")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="archivist-admin"`)
			writeError(w, http.StatusUnauthorized, "the token sent is not the admin token: send ARCHIVIST_ADMIN_TOKEN as \"Authorization: Bearer TOKEN\" (Basic authentication is not accepted for admin routes)")
		}
	})
}

// writeError answers with {"error": msg}; msg says what to fix.
func writeError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"error": msg})
}

// writeJSON answers with v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// statusWriter remembers the status a handler wrote, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request and turns a panic in a handler
// (a hostile archived page tripping a parser, say) into a 500 for that
// request alone. Only the method, path, status, size and duration are
// logged: never a header, so the Authorization header and its token
// cannot reach a log.
func (s *server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("web: handler failed", "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					writeError(sw, http.StatusInternalServerError, "internal error while serving this request; the server log has the details")
				}
			}
			s.log.Info("web request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "duration", time.Since(start).Round(time.Microsecond))
		}()
		h.ServeHTTP(sw, r)
	})
}
