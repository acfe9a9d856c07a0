// Package netguard keeps the crawler from being used to reach private
// networks (SSRF). Links and redirects come from untrusted pages; without a
// guard a page could make the crawler fetch http://10.0.0.5/admin or a cloud
// metadata endpoint and archive the answer.
//
// The guard sits at the only place every connection passes through, the
// dial: it resolves the host itself, refuses loopback, private, link-local,
// shared (CGNAT), unspecified and multicast addresses (IPv4-mapped IPv6
// forms included) before any socket opens, and then dials the checked IP
// rather than the name, so a second DNS answer (DNS rebinding) cannot swap
// in another address.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Resolver looks up a host's addresses. *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens a connection to an address. *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// RefusedError is returned when every address of a host is one the guard
// refuses.
type RefusedError struct {
	Addr netip.Addr
	Kind string // "loopback", "private", "link-local", ...
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s address %s (set allow_private_networks to allow)", e.Kind, e.Addr)
}

// Guard dials only public addresses unless AllowPrivate is set.
type Guard struct {
	// AllowPrivate turns the address check off; the guard still resolves
	// and dials IPs itself.
	AllowPrivate bool
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// Dialer defaults to a net.Dialer with no timeout of its own (the
	// caller's context bounds the dial).
	Dialer Dialer
	// Exempt, when set, names dial addresses ("host:port") that skip the
	// check, such as the operator's configured proxy.
	Exempt func(address string) bool
}

// Ranges that netip's predicates do not cover.
var (
	sharedCGNAT = netip.MustParsePrefix("100.64.0.0/10")
	// "This network": Linux routes 0.x.y.z to the local host.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// Benchmarking and the old class E space are never public hosts.
	reserved = []netip.Prefix{
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("240.0.0.0/4"),
	}
	// NAT64 (RFC 6052) embeds an IPv4 address that a NAT64 gateway reaches
	// on the caller's behalf, so the embedded address is checked too.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

// Check returns a *RefusedError if ip is not a public unicast address.
func Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if kind := refusedKind(ip); kind != "" {
		return &RefusedError{Addr: ip, Kind: kind}
	}
	return nil
}

// refusedKind names the kind of non-public address ip is, or "".
func refusedKind(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "invalid"
	case nat64.Contains(ip):
		b := ip.As16()
		return refusedKind(netip.AddrFrom4([4]byte(b[12:])))
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsLinkLocalMulticast():
		return "multicast"
	case sharedCGNAT.Contains(ip):
		return "shared (CGNAT)"
	case reserved[0].Contains(ip), reserved[1].Contains(ip):
		return "reserved"
	}
	return ""
}

// DialContext resolves address, refuses it if no resolved IP passes Check
// (unless AllowPrivate) and dials the allowed IPs in order until one
// answers. Use it as http.Transport.DialContext.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	if g.Exempt != nil && g.Exempt(address) {
		return g.dialer().DialContext(ctx, network, address)
	}
	ips, err := g.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, ip := range ips {
		conn, err := g.dialer().DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// Resolve returns the addresses of host that may be dialled, or a
// *RefusedError for the first one when none may. An IP literal is checked
// without a lookup.
func (g *Guard) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = g.resolver().LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	if g.AllowPrivate {
		return ips, nil
	}
	allowed := ips[:0:0]
	var refused error
	for _, ip := range ips {
		if err := Check(ip); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		allowed = append(allowed, ip.Unmap())
	}
	if len(allowed) == 0 {
		return nil, refused
	}
	return allowed, nil
}

// IsRefused reports whether err comes from the guard refusing an address.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

func (g *Guard) resolver() Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

func (g *Guard) dialer() Dialer {
	if g.Dialer != nil {
		return g.Dialer
	}
	return &net.Dialer{}
}
