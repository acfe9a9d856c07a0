package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const (
	readToken  = "read-6f1d2c0e9b"
	adminToken = "admin-93ac51e7d4"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	var logs lockedBuffer
	opts := f.options()
	opts.ReadToken, opts.AdminToken = readToken, adminToken
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := serve(t, opts).URL
	embargoBody := `{"url": "` + rulingURL + `", "reason": "takedown request", "who": "editor"}`

	read := []string{"/api/search?q=court", "/cdx?url=news.test/*", "/web/20250708100000/" + storyURL, "/timemap/link/" + storyURL, "/", "/capture/" + f.ids["story1"]}
	for _, p := range read {
		// No token.
		resp, body := get(t, srv+p)
		wantError(t, resp, body, http.StatusUnauthorized, "read token")
		if !strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), " "), "Basic") {
			t.Errorf("%s: 401 without a Basic challenge, so a browser cannot ask for the token", p)
		}
		// Wrong token.
		resp, body = get(t, srv+p, "Authorization", "Bearer wrong-token")
		wantError(t, resp, body, http.StatusUnauthorized, "not this archive's read token")
		// The read token, as bearer and as Basic password; the admin token reads too.
		for _, auth := range []string{"Bearer " + readToken, basic("anyone", readToken), "Bearer " + adminToken} {
			if resp, body := get(t, srv+p, "Authorization", auth); resp.StatusCode >= 400 {
				t.Errorf("%s with %q: status %d: %s", p, auth[:6], resp.StatusCode, body)
			}
		}
	}
	// The stylesheet is public: a login prompt must be able to style itself.
	if resp, _ := get(t, srv+"/static/style.css"); resp.StatusCode != http.StatusOK {
		t.Errorf("stylesheet: status %d", resp.StatusCode)
	}

	// Admin routes.
	resp, body := do(t, http.MethodPost, srv+"/api/embargo", embargoBody)
	wantError(t, resp, body, http.StatusUnauthorized, "admin token")
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", embargoBody, "Authorization", "Bearer wrong-token")
	wantError(t, resp, body, http.StatusUnauthorized, "not the admin token")
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", embargoBody, "Authorization", "Bearer "+readToken)
	wantError(t, resp, body, http.StatusForbidden, "not the read token")
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", embargoBody, "Authorization", basic("admin", adminToken))
	wantError(t, resp, body, http.StatusUnauthorized, "Basic authentication is not accepted")
	resp, body = get(t, srv+"/api/embargo", "Authorization", "Bearer "+readToken)
	wantError(t, resp, body, http.StatusForbidden, "admin token")
	if f.embargo.Len() != 0 {
		t.Fatal("a refused request changed the embargo list")
	}
	resp, body = do(t, http.MethodPost, srv+"/api/embargo", embargoBody, "Authorization", "Bearer "+adminToken)
	if resp.StatusCode != http.StatusCreated || f.embargo.Len() != 1 {
		t.Fatalf("admin token: status %d: %s", resp.StatusCode, body)
	}

	// Tokens never reach the log, in any header form.
	out := logs.String()
	if !strings.Contains(out, "web request") {
		t.Fatalf("no request log lines:\n%s", out)
	}
	for _, secret := range []string{readToken, adminToken, "wrong-token", "Bearer", "Authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestAdminDisabledWithoutToken(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL // reading open, no admin token
	if resp, body := get(t, srv+"/api/search?q=court"); resp.StatusCode != http.StatusOK {
		t.Errorf("open reading: status %d: %s", resp.StatusCode, body)
	}
	resp, body := do(t, http.MethodPost, srv+"/api/embargo", `{}`, "Authorization", "Bearer anything")
	wantError(t, resp, body, http.StatusForbidden, "ARCHIVIST_ADMIN_TOKEN")
	resp, body = do(t, http.MethodDelete, srv+"/api/embargo/e-1", "")
	wantError(t, resp, body, http.StatusForbidden, "disabled")
}

func TestTokenEqual(t *testing.T) {
	if !tokenEqual("abc", "abc") || tokenEqual("abc", "abd") || tokenEqual("abc", "abcd") || tokenEqual("", "") || tokenEqual("x", "") {
		t.Error("tokenEqual is wrong")
	}
}
