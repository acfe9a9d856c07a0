package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// runDemo serves the bundled sample news site on loopback and crawls it, so
// a new user sees the whole pipeline work without any server to install.
func runDemo(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("demo", io, "[--data DIR]")
	var c common
	c.register(fs)
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("demo: unexpected argument %q", rest[0])
	}
	site, err := demosite.Start()
	if err != nil {
		return err
	}
	defer site.Close()
	fmt.Fprintf(io.Out, "Serving the sample news site on loopback; crawling its topic page %s\n\n", site.TopicURL())

	crawlArgs := []string{"--allow-private-networks", "--delay", "100ms"}
	if c.data != "" {
		crawlArgs = append(crawlArgs, "--data", c.data)
	}
	if c.configPath != "" {
		crawlArgs = append(crawlArgs, "--config", c.configPath)
	}
	// The sample site links to social sites as real pages do; they are out
	// of scope, and this resolver makes sure nothing but loopback is ever
	// looked up even if that changed.
	io.Resolver = loopbackResolver{}
	err = runCrawl(ctx, append(crawlArgs, site.TopicURL()), io)
	var partial *PartialError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	fmt.Fprintf(io.Out, "\nThe failed URL is a removed story (HTTP 404) that the sample topic page links to on purpose.\n"+
		"Now try:\n"+
		"  archivist list\n"+
		"  archivist search 'judicial review'\n"+
		"  archivist get %s --format text\n"+
		"  archivist get %s --format provenance\n"+
		"  archivist export --format jsonl --out hikvision.jsonl\n"+
		"  archivist verify\n", site.ArticleURL("reuters"), site.ArticleURL("aljazeera"))
	return nil
}

// loopbackResolver resolves only IP literals and "localhost", and only to
// loopback addresses: no DNS query ever leaves the machine.
type loopbackResolver struct{}

func (loopbackResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if strings.EqualFold(host, "localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("resolve %s: only loopback addresses are reachable in this mode", host)
	}
	return []netip.Addr{ip}, nil
}
