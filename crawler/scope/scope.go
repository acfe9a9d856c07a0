// Package scope decides which links found on a page the crawler follows.
//
// A news crawl starts from topic pages, which link to articles on the same
// site and on other outlets; those articles link to everything (related
// stories, ads, social networks). So: links found on a seed page may go to
// any site, links found deeper stay on the site of the page they were found
// on; share buttons, social networks, assets and account or search pages are
// never followed; operator Include/Exclude patterns and the depth limit
// apply on top.
package scope

import (
	"fmt"
	"net"
	"net/url"
	"regexp"

	"golang.org/x/net/publicsuffix"
)

// Rules is a compiled scope. It is safe for concurrent use.
type Rules struct {
	include  []*regexp.Regexp
	exclude  []*regexp.Regexp
	maxDepth int
}

// Page is the page a link was found on.
type Page struct {
	URL   string // final URL of the page, after redirects
	Depth int    // its depth: 0 for a seed
}

// New compiles the scope. Include and exclude are regular expressions
// matched against the normalised URL; with include patterns a URL must match
// at least one, and any exclude match rejects it. maxDepth is the deepest
// link depth followed (0: seeds only).
func New(include, exclude []string, maxDepth int) (*Rules, error) {
	if maxDepth < 0 {
		return nil, fmt.Errorf("compile scope: max_depth must be 0 or more, got %d", maxDepth)
	}
	r := &Rules{maxDepth: maxDepth}
	var err error
	if r.include, err = compileAll("include", include); err != nil {
		return nil, err
	}
	if r.exclude, err = compileAll("exclude", exclude); err != nil {
		return nil, err
	}
	return r, nil
}

func compileAll(setting string, patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("compile scope: %s[%d] %q is not a valid regular expression: %w", setting, i, p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Check reports whether link (a normalised absolute URL) found on page
// from should be crawled, and if not, why.
func (r *Rules) Check(link string, from Page) (ok bool, reason string) {
	if from.Depth+1 > r.maxDepth {
		return false, fmt.Sprintf("beyond max depth %d", r.maxDepth)
	}
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return false, "not an absolute url"
	}
	if reason := DefaultExclusion(u); reason != "" {
		return false, reason
	}
	for _, re := range r.exclude {
		if re.MatchString(link) {
			return false, fmt.Sprintf("excluded by pattern %q", re.String())
		}
	}
	if len(r.include) > 0 && !r.matchesInclude(link) {
		return false, "matches no include pattern"
	}
	if from.Depth > 0 {
		p, err := url.Parse(from.URL)
		if err != nil || Site(p.Hostname()) != Site(u.Hostname()) {
			return false, fmt.Sprintf("off-site link from a depth %d page", from.Depth)
		}
	}
	return true, ""
}

func (r *Rules) matchesInclude(link string) bool {
	for _, re := range r.include {
		if re.MatchString(link) {
			return true
		}
	}
	return false
}

// Site returns the registrable domain of host (eTLD+1 from the public
// suffix list), so www.example.com and news.example.com are one site.
// IP addresses and hosts that are themselves public suffixes are their own
// site.
func Site(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if net.ParseIP(host) != nil {
		return host
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return site
}

// SameSite reports whether two hosts belong to the same site.
func SameSite(a, b string) bool { return Site(a) == Site(b) }
