package discover

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// isFeedType tells whether a <link type> announces a feed.
func isFeedType(t string) bool {
	switch strings.ToLower(strings.TrimSpace(strings.Split(t, ";")[0])) {
	case "application/rss+xml", "application/atom+xml", "application/feed+json":
		return true
	}
	return false
}

// maxFeedLinks bounds what one page can make a poll fetch.
const maxFeedLinks = 20

// FeedLinks returns the feeds an HTML page announces with
// <link rel="alternate" type="application/rss+xml|atom+xml" href="...">,
// absolute and in document order, without duplicates.
func FeedLinks(body []byte, pageURL string) []string {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	seen := map[string]bool{}
	var out []string
	for len(out) < maxFeedLinks {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		switch string(name) {
		case "base":
			if href := attrs(z)["href"]; href != "" {
				if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
					base = b
				}
			}
		case "link":
			a := attrs(z)
			if !hasToken(a["rel"], "alternate") || !isFeedType(a["type"]) {
				continue
			}
			if u := resolve(base, a["href"]); u != "" && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

func attrs(z *html.Tokenizer) map[string]string {
	m := map[string]string{}
	for {
		k, v, more := z.TagAttr()
		m[strings.ToLower(string(k))] = string(v)
		if !more {
			return m
		}
	}
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(strings.ToLower(list)) {
		if f == tok {
			return true
		}
	}
	return false
}
