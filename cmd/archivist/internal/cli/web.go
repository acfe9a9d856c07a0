package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/cmd/archivist/internal/web"
)

// runWeb serves the HTTP API and the web UI over an existing archive,
// without crawling: what `archivist serve` serves beside its crawl.
func runWeb(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("web", io, "[--data DIR] [--listen 127.0.0.1:8080] [--config FILE] [--base-url URL]")
	var c common
	c.register(fs)
	listen := fs.String("listen", "", "address to serve on (default: serve.listen of the config, 127.0.0.1:8080, loopback only)")
	baseURL := fs.String("base-url", "", "the archive's public URL, for the absolute links of Memento headers and TimeMaps (default: from each request's Host)")
	readTokenFile := fs.String("read-token-file", "", "file holding the read token (else $ARCHIVIST_READ_TOKEN; neither: reading is open)")
	adminTokenFile := fs.String("admin-token-file", "", "file holding the admin token (else $ARCHIVIST_ADMIN_TOKEN; neither: admin routes are refused)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("web: unexpected argument %q", rest[0])
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	addr := *listen
	if addr == "" {
		addr = cfg.Serve.Listen
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return usagef("web --listen: %q is not an address: write it like 127.0.0.1:8080 (0.0.0.0:8080 for every interface)", addr)
	}
	if *baseURL != "" && !strings.HasPrefix(*baseURL, "http://") && !strings.HasPrefix(*baseURL, "https://") {
		return usagef("web --base-url: %q must start with http:// or https://", *baseURL)
	}
	readToken, err := token(*readTokenFile, "ARCHIVIST_READ_TOKEN", io)
	if err != nil {
		return err
	}
	adminToken, err := token(*adminTokenFile, "ARCHIVIST_ADMIN_TOKEN", io)
	if err != nil {
		return err
	}
	if readToken != "" && readToken == adminToken {
		return usagef("web: the read token and the admin token are the same: give admin its own token, or anyone who may read could change the archive")
	}
	a, err := openArchive(ctx, cfg, "", false, io)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := embargo.Load(a.dir)
	if err != nil {
		return err
	}
	h, err := web.NewHandler(web.Options{
		Store: a.store, Catalog: a.catalog, Embargo: list, Logger: a.log,
		ReadToken: readToken, AdminToken: adminToken, BaseURL: *baseURL,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w (is another server using the port? pick another with --listen)", addr, err)
	}
	if ip, err := netip.ParseAddr(host); (err != nil || !ip.IsLoopback()) && host != "localhost" && readToken == "" {
		a.log.Warn("web: serving beyond loopback with reading open to anyone who can reach it; set ARCHIVIST_READ_TOKEN to require a token", "listen", addr)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(io.Out, "Serving the archive in %s at http://%s/ (search, replay, CDX and Memento APIs); Ctrl-C stops\n", a.dir, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("web: stop: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

// token reads a token from a file (first line, spaces trimmed) or, with
// no file, from the environment variable env.
func token(file, env string, io IO) (string, error) {
	if file == "" {
		return strings.TrimSpace(io.Getenv(env)), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", usagef("web: read token file: %v", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	if t := strings.TrimSpace(line); t != "" {
		return t, nil
	}
	return "", usagef("web: token file %s is empty: put the token on its first line", file)
}
