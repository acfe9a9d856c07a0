package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeMountsWebAPI checks that the daemon serves the researcher API
// and UI beside /healthz and /metrics, and that the admin routes act on the
// running crawl: pause stops leasing, resume starts it again, and a source
// added through the API is persisted and picked up.
func TestServeMountsWebAPI(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	cfgPath := serveConfig(t, site, data, "")
	env := map[string]string{"ARCHIVIST_ADMIN_TOKEN": "admin-secret-1", "ARCHIVIST_READ_TOKEN": "read-secret-2"}
	signals := make(chan os.Signal, 2)
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []string{"serve", "--config", cfgPath}, IO{
			In: strings.NewReader(""), Out: io.Discard, Err: &stderr,
			Getenv: func(k string) string { return env[k] }, Resolver: loopbackResolver{}, Signals: signals,
		})
	}()
	defer func() {
		signals <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if strings.Contains(stderr.String(), "admin-secret-1") || strings.Contains(stderr.String(), "read-secret-2") {
			t.Error("a token appears in the logs")
		}
	}()
	var base string
	waitFor(t, 10*time.Second, "the listen address", func() bool {
		if m := listenRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	call := func(method, path, token, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, 60*time.Second, "captures to be searchable", func() bool {
		code, body := call("GET", "/api/search?q=Hikvision", "read-secret-2", "")
		return code == 200 && strings.Contains(body, "snippet")
	})
	if code, _ := call("GET", "/api/search?q=Hikvision", "", ""); code != http.StatusUnauthorized {
		t.Errorf("search without the read token: %d", code)
	}
	if code, _ := call("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("healthz needs no token, got %d", code)
	}
	if code, _ := call("POST", "/api/crawl/pause", "read-secret-2", ""); code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("pause with the read token: %d", code)
	}
	if code, body := call("POST", "/api/crawl/pause", "admin-secret-1", ""); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	var crawl struct {
		Paused bool `json:"paused"`
	}
	_, body := call("GET", "/api/crawl", "read-secret-2", "")
	if err := json.Unmarshal([]byte(body), &crawl); err != nil || !crawl.Paused {
		t.Errorf("/api/crawl after pause = %s (%v)", body, err)
	}
	if code, body := call("POST", "/api/crawl/resume", "admin-secret-1", ""); code != 200 {
		t.Errorf("resume: %d %s", code, body)
	}
	src := `{"name":"reuters-page","url":"` + site.ArticleURL("reuters") + `","kind":"page","interval":"1h","include":["^http://127\\.0\\.0\\.1:"]}`
	if code, body := call("POST", "/api/sources", "admin-secret-1", src); code/100 != 2 {
		t.Fatalf("add source: %d %s", code, body)
	}
	waitFor(t, 30*time.Second, "the added source in /api/sources", func() bool {
		_, body := call("GET", "/api/sources", "read-secret-2", "")
		return strings.Contains(body, "reuters-page")
	})
	if out := mustRun(t, env, "sources", "list", "--data", data); !strings.Contains(out, "reuters-page") {
		t.Errorf("the source added through the API is not persisted:\n%s", out)
	}
	if code, body := call("GET", "/", "read-secret-2", ""); code != 200 || !strings.Contains(body, "<form") {
		t.Errorf("UI home: %d", code)
	}
}
