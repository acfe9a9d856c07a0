package extract

import (
	"net/url"
	"regexp"
	"strings"
)

// resolveBase applies <base href> to the page URL. A base that does not
// parse or is not http(s) is ignored, as browsers do.
func resolveBase(page *url.URL, baseHref string) *url.URL {
	if baseHref == "" {
		return page
	}
	b, err := url.Parse(cleanHref(baseHref))
	if err != nil {
		return page
	}
	r := page.ResolveReference(b)
	if (r.Scheme != "http" && r.Scheme != "https") || r.Host == "" {
		return page
	}
	return r
}

// cleanHref strips what the URL spec strips before parsing: surrounding
// white space and embedded tabs and newlines, which pages leave in
// attributes that span lines.
func cleanHref(h string) string {
	h = strings.TrimSpace(h)
	if strings.ContainsAny(h, "\t\n\r") {
		h = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(h)
	}
	return h
}

// resolveURL makes href absolute against base and normalises it for
// comparison: http(s) only, lowercase scheme and host, no fragment.
func resolveURL(base *url.URL, href string) (string, bool) {
	u, ok := resolveParsed(base, href)
	if !ok {
		return "", false
	}
	return u.String(), true
}

func resolveParsed(base *url.URL, href string) (*url.URL, bool) {
	u, err := url.Parse(cleanHref(href))
	if err != nil {
		return nil, false
	}
	r := base.ResolveReference(u)
	r.Scheme = strings.ToLower(r.Scheme)
	if (r.Scheme != "http" && r.Scheme != "https") || r.Host == "" {
		return nil, false
	}
	r.Host = strings.ToLower(r.Host)
	r.Fragment, r.RawFragment = "", ""
	return r, true
}

// collectLinks resolves anchors in document order and keeps the first
// occurrence of each URL. When that first occurrence has no text (an image
// link), the text of a later one is used, so a headline link is not
// reported as blank because its thumbnail came first.
func collectLinks(anchors []anchor, base *url.URL) []Link {
	links := make([]Link, 0, len(anchors))
	seen := make(map[string]int, len(anchors))
	res := newResolver(base)
	for _, a := range anchors {
		u, ok := res.resolve(a.href)
		if !ok {
			continue
		}
		if i, dup := seen[u]; dup {
			if links[i].Text == "" {
				links[i].Text = a.text
			}
			continue
		}
		seen[u] = len(links)
		links = append(links, Link{URL: u, Text: a.text, Rel: a.rel})
	}
	return links
}

// markInArticle flags the links whose URL also appears in the extracted
// article body.
func markInArticle(links []Link, inArticle map[string]bool) {
	if len(inArticle) == 0 {
		return
	}
	for i := range links {
		if inArticle[links[i].URL] {
			links[i].InArticle = true
		}
	}
}

var (
	urlDatePattern = regexp.MustCompile(`(?:^|/)((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])(?:[/-]?(0[1-9]|[12]\d|3[01]))?(?:/|$|[^\d])`)
)

// nonArticleSegments are path segments that mark index pages: a URL
// containing one is a listing even if it carries a long slug.
var nonArticleSegments = map[string]bool{
	"tag": true, "tags": true, "topic": true, "topics": true, "category": true,
	"categories": true, "author": true, "authors": true, "section": true,
	"search": true, "page": true, "archive": true, "archives": true,
	"people": true, "profile": true, "subject": true, "hub": true,
}

// looksLikeArticleURL guesses from the URL alone whether it names a story:
// a date in the path, a long numeric id, or a slug of several words.
func looksLikeArticleURL(u *url.URL) bool {
	path := strings.Trim(u.Path, "/")
	if path == "" {
		return false
	}
	segments := strings.Split(path, "/")
	for _, s := range segments[:len(segments)-1] {
		if nonArticleSegments[strings.ToLower(s)] {
			return false
		}
	}
	if mayHoldYear(path) && urlDatePattern.MatchString("/"+path+"/") {
		return true
	}
	last := segments[len(segments)-1]
	for _, ext := range []string{".html", ".htm", ".php", ".aspx", ".shtml", ".ece", ".cms"} {
		last = strings.TrimSuffix(last, ext)
	}
	if hasDigitRun(last, 5) {
		return true
	}
	words := 0
	for _, w := range strings.FieldsFunc(last, func(r rune) bool { return r == '-' || r == '_' || r == '+' }) {
		if len(w) > 0 {
			words++
		}
	}
	return words >= 4
}
