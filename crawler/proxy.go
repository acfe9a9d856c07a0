package crawler

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/http/httpproxy"

	"github.com/archivist-project/archivist/crawler/netguard"
)

// proxySelector applies HTTP_PROXY, HTTPS_PROXY and NO_PROXY exactly like
// http.ProxyFromEnvironment, but reads the environment when a run starts
// rather than once per process, so a changed environment takes effect.
//
// A proxy is the operator's choice and may well listen on loopback, so the
// guard lets dials to the proxies it hands out through. The proxy resolves
// the target itself, out of the guard's sight, so the target host is
// resolved and checked here before the request goes to the proxy (a target
// that does not resolve locally is refused too; DNS rebinding between this
// check and the proxy's own lookup remains possible).
type proxySelector struct {
	proxyFunc func(*url.URL) (*url.URL, error)
	guard     *netguard.Guard

	mu    sync.Mutex
	addrs map[string]bool // dial addresses ("host:port") of proxies in use
}

func newProxySelector(guard *netguard.Guard) *proxySelector {
	return &proxySelector{
		proxyFunc: httpproxy.FromEnvironment().ProxyFunc(),
		guard:     guard,
		addrs:     make(map[string]bool),
	}
}

// proxyFor is http.Transport.Proxy.
func (p *proxySelector) proxyFor(req *http.Request) (*url.URL, error) {
	proxyURL, err := p.proxyFunc(req.URL)
	if err != nil || proxyURL == nil {
		return proxyURL, err
	}
	if !p.guard.AllowPrivate {
		if _, err := p.guard.Resolve(req.Context(), req.URL.Hostname()); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.addrs[proxyDialAddr(proxyURL)] = true
	p.mu.Unlock()
	return proxyURL, nil
}

// isProxyAddr is netguard.Guard.Exempt.
func (p *proxySelector) isProxyAddr(address string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs[address]
}

// proxyDialAddr is the address http.Transport dials for a proxy URL: its
// host with the scheme's default port when none is given.
func proxyDialAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
