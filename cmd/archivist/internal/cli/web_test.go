package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// webLogBuffer is a buffer the server's goroutines can log to.
type webLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *webLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *webLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWebServesTheArchive(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data, "ARCHIVIST_READ_TOKEN": "read-tok-1", "ARCHIVIST_ADMIN_TOKEN": "admin-tok-1"}
	crawlSite(t, site, env)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errOut webLogBuffer
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, []string{"web", "--listen", "127.0.0.1:0"}, IO{
			In: strings.NewReader(""), Out: pw, Err: &errOut,
			Getenv: func(k string) string { return env[k] },
		})
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("web printed no address: %v\n%s", err, errOut.String())
	}
	go io.Copy(io.Discard, pr)
	_, rest, _ := strings.Cut(line, " at ")
	base, _, _ := strings.Cut(rest, "/ ")
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("web: %q", line)
	}

	call := func(method, path, token, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := call("GET", "/api/search?q=hikvision", "", ""); code != http.StatusUnauthorized {
		t.Errorf("search without the read token: %d", code)
	}
	code, body := call("GET", "/api/search?q=hikvision", "read-tok-1", "")
	var res struct {
		Hits []struct {
			FinalURL string `json:"final_url"`
			Links    struct{ Replay string }
		}
	}
	if err := json.Unmarshal(body, &res); err != nil || code != http.StatusOK || len(res.Hits) < 5 {
		t.Fatalf("search: %d, %d hits: %s", code, len(res.Hits), body)
	}
	if code, body := call("GET", res.Hits[0].Links.Replay, "read-tok-1", ""); code != http.StatusOK || !bytes.Contains(body, []byte("archivist-banner")) {
		t.Errorf("replay of %s: %d", res.Hits[0].FinalURL, code)
	}
	if code, body := call("GET", "/cdx?output=json&url="+url.QueryEscape(site.ArticleURL("reuters")), "read-tok-1", ""); code != http.StatusOK || !bytes.Contains(body, []byte(`"status": "200"`)) {
		t.Errorf("cdx: %d %s", code, body)
	}
	code, body = call("POST", "/api/embargo", "admin-tok-1", `{"url": "`+site.ArticleURL("reuters")+`", "reason": "test takedown", "who": "tester"}`)
	if code != http.StatusCreated {
		t.Fatalf("embargo: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(data, "embargo.json")); err != nil {
		t.Errorf("the embargo is not kept in the data directory: %v", err)
	}
	if code, _ := call("GET", "/cdx?url="+url.QueryEscape(site.ArticleURL("reuters")), "read-tok-1", ""); code != http.StatusOK {
		t.Errorf("cdx after embargo: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("web did not stop cleanly: %v", err)
	}
	if logs := errOut.String(); strings.Contains(logs, "read-tok-1") || strings.Contains(logs, "admin-tok-1") {
		t.Errorf("a token reached the log:\n%s", logs)
	}
}

func TestWebUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"web", "--listen", "8080"}, nil, "not an address"},
		{[]string{"web", "--listen", ":8080"}, nil, "not an address"},
		{[]string{"web", "--base-url", "archive.example.org"}, nil, "http://"},
		{[]string{"web"}, map[string]string{"ARCHIVIST_READ_TOKEN": "same", "ARCHIVIST_ADMIN_TOKEN": "same"}, "the same"},
		{[]string{"web"}, nil, "no archive in"},
	} {
		env := map[string]string{"ARCHIVIST_DATA": filepath.Join(data, "none")}
		for k, v := range c.env {
			env[k] = v
		}
		_, errOut, code := run(t, env, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, ExitUsage, c.want)
		}
	}
}
