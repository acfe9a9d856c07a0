package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// fakeResolver answers from a map and never touches the network.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// recordingDialer records dial addresses and hands back one end of an
// in-memory pipe, so no socket is ever opened.
type recordingDialer struct {
	mu    sync.Mutex
	dials []string
}

func (d *recordingDialer) DialContext(_ context.Context, _, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, address)
	d.mu.Unlock()
	client, server := net.Pipe()
	_ = server.Close()
	return client, nil
}

// failingDialer fails the test if the guard lets a dial through.
type failingDialer struct{ t *testing.T }

func (d failingDialer) DialContext(_ context.Context, _, address string) (net.Conn, error) {
	d.t.Errorf("dial to %s was not refused", address)
	return nil, errors.New("test dialer: must not be called")
}

func TestCheck(t *testing.T) {
	tests := []struct {
		ip, kind string // kind "" = allowed
	}{
		{"93.184.216.34", ""},
		{"2606:2800:220:1:248:1893:25c8:1946", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"10.0.0.5", "private"},
		{"172.16.3.4", "private"},
		{"192.168.1.1", "private"},
		{"fd12:3456::1", "private"},
		{"fc00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.254", "shared (CGNAT)"},
		{"100.128.0.1", ""},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"::ffff:10.0.0.5", "private"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"64:ff9b::a00:5", "private"},
		{"64:ff9b::5db8:d822", ""},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "reserved"},
	}
	for _, tt := range tests {
		err := Check(netip.MustParseAddr(tt.ip))
		var refused *RefusedError
		switch {
		case tt.kind == "" && err != nil:
			t.Errorf("Check(%s) = %v, want allowed", tt.ip, err)
		case tt.kind != "" && !errors.As(err, &refused):
			t.Errorf("Check(%s) = %v, want refused as %s", tt.ip, err, tt.kind)
		case tt.kind != "" && refused.Kind != tt.kind:
			t.Errorf("Check(%s) kind = %q, want %q", tt.ip, refused.Kind, tt.kind)
		}
	}
}

func TestDialRefusesPrivateBeforeDialing(t *testing.T) {
	g := &Guard{
		Resolver: fakeResolver{"intranet.example": {"10.0.0.5"}, "mapped.example": {"::ffff:192.168.0.1"}},
		Dialer:   failingDialer{t},
	}
	for _, addr := range []string{"intranet.example:80", "mapped.example:443", "127.0.0.1:8080", "[::1]:80", "169.254.169.254:80"} {
		conn, err := g.DialContext(context.Background(), "tcp", addr)
		if err == nil {
			_ = conn.Close()
			t.Fatalf("dial %s succeeded", addr)
		}
		if !IsRefused(err) {
			t.Errorf("dial %s: error %v is not a refusal", addr, err)
		}
	}
	_, err := g.DialContext(context.Background(), "tcp", "intranet.example:80")
	want := "refused to connect to private address 10.0.0.5 (set allow_private_networks to allow)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestDialUsesCheckedIP(t *testing.T) {
	d := &recordingDialer{}
	g := &Guard{
		Resolver: fakeResolver{"mixed.example": {"10.0.0.5", "203.0.113.7"}},
		Dialer:   d,
	}
	conn, err := g.DialContext(context.Background(), "tcp", "mixed.example:80")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = conn.Close()
	if len(d.dials) != 1 || d.dials[0] != "203.0.113.7:80" {
		t.Errorf("dials = %v, want only the public IP 203.0.113.7:80", d.dials)
	}
}

func TestAllowPrivate(t *testing.T) {
	d := &recordingDialer{}
	g := &Guard{AllowPrivate: true, Resolver: fakeResolver{"intranet.example": {"10.0.0.5"}}, Dialer: d}
	conn, err := g.DialContext(context.Background(), "tcp", "intranet.example:8080")
	if err != nil {
		t.Fatalf("dial with AllowPrivate: %v", err)
	}
	_ = conn.Close()
	if len(d.dials) != 1 || d.dials[0] != "10.0.0.5:8080" {
		t.Errorf("dials = %v, want the resolved IP, not the name", d.dials)
	}
}

func TestExemptAddressSkipsCheck(t *testing.T) {
	d := &recordingDialer{}
	g := &Guard{
		Resolver: fakeResolver{},
		Dialer:   d,
		Exempt:   func(addr string) bool { return addr == "127.0.0.1:3128" },
	}
	conn, err := g.DialContext(context.Background(), "tcp", "127.0.0.1:3128")
	if err != nil {
		t.Fatalf("dial exempt proxy: %v", err)
	}
	_ = conn.Close()
	if _, err := g.DialContext(context.Background(), "tcp", "127.0.0.1:3129"); !IsRefused(err) {
		t.Errorf("non-exempt loopback dial: got %v, want refusal", err)
	}
}

func TestResolveErrorNamesHost(t *testing.T) {
	g := &Guard{Resolver: fakeResolver{}, Dialer: failingDialer{t}}
	_, err := g.DialContext(context.Background(), "tcp", "nowhere.example:80")
	if err == nil || IsRefused(err) {
		t.Fatalf("got %v, want a resolve error", err)
	}
	if want := "resolve nowhere.example"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the host", err)
	}
}
