package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/netguard"
)

// fetchState collects what happens during one fetch, across redirect hops.
// The recording transport and the redirect policy find it in the request
// context; requests without one (robots.txt) are not recorded.
type fetchState struct {
	mu   sync.Mutex
	hops []archive.Hop
	// transportErr is the first round-trip failure (refused address, DNS,
	// TLS, timeout, broken body) and transportURL the URL it happened on.
	transportErr error
	transportURL string
	// policyErr is set when the redirect policy refused to follow a hop.
	policyErr error
	// robots is the robots.txt decision for the last URL of the chain.
	robots archive.RobotsDecision
}

type fetchStateKey struct{}

func withFetchState(ctx context.Context, st *fetchState) context.Context {
	return context.WithValue(ctx, fetchStateKey{}, st)
}

func fetchStateFrom(ctx context.Context) *fetchState {
	st, _ := ctx.Value(fetchStateKey{}).(*fetchState)
	return st
}

func (st *fetchState) addHop(h archive.Hop) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.hops = append(st.hops, h)
	st.mu.Unlock()
}

func (st *fetchState) fail(url string, err error) {
	if st == nil {
		return
	}
	st.mu.Lock()
	if st.transportErr == nil {
		st.transportErr, st.transportURL = err, url
	}
	st.mu.Unlock()
}

// recordingTransport is the crawler's only way onto the network. For each
// round trip it takes a politeness slot, sends the request through the
// guarded http.Transport, reads the body up to the size cap and records
// the hop exactly as it crossed the wire. Colly and the redirect logic of
// http.Client see the same capped bytes.
type recordingTransport struct {
	base      *http.Transport
	limiter   *hostLimiter
	backoff   *hostBackoff
	timeout   time.Duration
	maxBody   int64
	clock     func() time.Time
	onRequest func(RequestEvent)
	gate      HostGate
}

func newRecordingTransport(cfg Config, limiter *hostLimiter, backoff *hostBackoff) *recordingTransport {
	guard := &netguard.Guard{
		AllowPrivate: cfg.AllowPrivateNetworks,
		Resolver:     cfg.Resolver,
		Dialer:       cfg.Dialer,
	}
	proxies := newProxySelector(guard)
	guard.Exempt = proxies.isProxyAddr
	base := &http.Transport{
		Proxy:       proxies.proxyFor,
		DialContext: guard.DialContext,
		// Compressed transfer would make the recorded body differ from
		// what the server stores; identity is requested explicitly too.
		DisableCompression:    true,
		TLSHandshakeTimeout:   min(10*time.Second, cfg.RequestTimeout),
		ResponseHeaderTimeout: cfg.RequestTimeout,
		MaxIdleConnsPerHost:   cfg.PerHostParallelism,
		// Bounded, as in net/http's default transport: a crawl of
		// thousands of hosts would otherwise keep an idle connection
		// (buffers and two goroutines) to every host it saw in the last
		// IdleConnTimeout, and its memory would grow with its hosts.
		MaxIdleConns:    max(100, 4*cfg.Parallelism),
		IdleConnTimeout: 90 * time.Second,
	}
	return &recordingTransport{
		base:      base,
		limiter:   limiter,
		backoff:   backoff,
		timeout:   cfg.RequestTimeout,
		maxBody:   cfg.MaxBodyBytes,
		clock:     cfg.Clock,
		onRequest: cfg.OnRequest,
		gate:      cfg.HostGate,
	}
}

func (t *recordingTransport) closeIdle() { t.base.CloseIdleConnections() }

// RoundTrip implements http.RoundTripper.
func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := fetchStateFrom(req.Context())
	host := strings.ToLower(req.URL.Hostname())
	// Checked here, below every code path (redirect hops included), so a
	// host that sent Retry-After gets no request at all until then.
	if _, err := t.backoff.check(host); err != nil {
		st.fail(req.URL.String(), err)
		return nil, err
	}
	release, slot, err := t.limiter.acquire(req.Context(), host)
	if err != nil {
		st.fail(req.URL.String(), err)
		return nil, err
	}
	if t.gate != nil {
		// The shared slot is taken after the local one, so this process
		// never holds more shared slots than its own limit allows.
		par, delay := t.limiter.limits(host)
		shared, err := t.gate.Acquire(req.Context(), host, par, delay)
		if err != nil {
			release()
			st.fail(req.URL.String(), err)
			return nil, err
		}
		local := release
		release = func() { shared(); local() }
		slot = time.Now()
	}
	// Checked again once the slot is ours: while this request waited for
	// it, another may have been answered with Retry-After.
	if _, err := t.backoff.check(host); err != nil {
		release()
		st.fail(req.URL.String(), err)
		return nil, err
	}
	status := 0
	defer func() {
		release()
		if t.onRequest != nil {
			t.onRequest(RequestEvent{Host: host, URL: req.URL.String(), Start: slot, End: time.Now(), Status: status})
		}
	}()

	// The timeout starts once the slot is granted: politeness waits are
	// not the server's fault.
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	var remote remoteAddr
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: remote.gotConn})
	out := req.Clone(ctx)
	sent := out.Header.Clone()
	if sent == nil {
		sent = http.Header{}
	}
	hostHeader := out.Host
	if hostHeader == "" {
		hostHeader = out.URL.Host
	}
	sent.Set("Host", hostHeader)

	start := t.clock()
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		err = t.explain(req.Context(), err)
		st.fail(req.URL.String(), err)
		return nil, err
	}
	status = resp.StatusCode
	body, truncated, readErr := readCapped(resp.Body, t.maxBody, resp.ContentLength)
	_ = resp.Body.Close()
	end := t.clock()
	st.addHop(archive.Hop{
		URL:            req.URL.String(),
		Method:         req.Method,
		Proto:          resp.Proto,
		RequestHeader:  sent,
		Status:         resp.StatusCode,
		StatusText:     resp.Status,
		ResponseHeader: resp.Header.Clone(),
		Body:           body,
		Truncated:      truncated,
		RemoteIP:       remote.get(),
		Start:          start.UTC(),
		End:            end.UTC(),
	})
	if readErr != nil {
		err := fmt.Errorf("read body: %w", t.explain(req.Context(), readErr))
		st.fail(req.URL.String(), err)
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Request = req
	return resp, nil
}

// explain turns the per-hop deadline into a message naming the setting;
// cancellation of the crawl itself is left as it is.
func (t *recordingTransport) explain(parent context.Context, err error) error {
	if parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no complete response within %s (raise request_timeout to wait longer): %w", t.timeout, err)
	}
	return err
}

// readCapped reads at most max bytes of body and tells whether there was
// more ("length") or the read broke off ("time" or "disconnect"). A
// Content-Length (size, -1 if unknown) sizes the buffer once instead of
// growing it by copies; it is only a hint, since servers lie.
func readCapped(body io.Reader, max, size int64) ([]byte, string, error) {
	var buf []byte
	if size > 0 {
		// One byte more than announced, so that reading up to EOF never
		// has to grow the buffer.
		buf = make([]byte, 0, min(size, max, maxBodyPrealloc)+1)
	}
	buf, err := readAllInto(buf, io.LimitReader(body, max))
	if err != nil {
		return buf, truncationReason(err), err
	}
	if int64(len(buf)) < max {
		return buf, "", nil
	}
	var probe [1]byte
	n, err := io.ReadFull(body, probe[:])
	switch {
	case n > 0:
		return buf, "length", nil
	case err == io.EOF:
		return buf, "", nil
	default:
		return buf, truncationReason(err), err
	}
}

// maxBodyPrealloc bounds what a Content-Length can make readCapped
// allocate before any byte arrived.
const maxBodyPrealloc = 4 << 20

// readAllInto is io.ReadAll appending to buf.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	if buf == nil {
		buf = make([]byte, 0, 512)
	}
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func truncationReason(err error) string {
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout() {
		return "time"
	}
	return "disconnect"
}

// remoteAddr captures the server's IP from httptrace. GotConn may run on
// another goroutine than RoundTrip's caller, hence the lock.
type remoteAddr struct {
	mu sync.Mutex
	ip string
}

func (r *remoteAddr) gotConn(info httptrace.GotConnInfo) {
	if info.Conn == nil || info.Conn.RemoteAddr() == nil {
		return
	}
	ip := info.Conn.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	r.mu.Lock()
	r.ip = ip
	r.mu.Unlock()
}

func (r *remoteAddr) get() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ip
}
