package extract

import (
	"html"
	"net/url"
	"strings"
	"unicode/utf8"
)

// firstMeta returns the first non-empty value among the meta keys, in key
// order.
func firstMeta(page *pageScan, keys ...string) string {
	for _, k := range keys {
		for _, v := range page.meta[k] {
			if v = collapseSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// firstNonEmpty returns the first argument that is not blank, with its
// white space collapsed and HTML entities (left in JSON-LD strings by
// some CMSes) decoded.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v = collapseSpace(v); v != "" {
			if strings.Contains(v, "&") {
				v = collapseSpace(html.UnescapeString(v))
			}
			return v
		}
	}
	return ""
}

// pickSiteName returns the site's declared name, by precedence: og:site_name,
// the JSON-LD publisher's name, the JSON-LD WebSite's name, then the app
// names of meta tags. Values that are URLs (some CMSes fill og:site_name
// with the home page address) are rejected, and separators left over from
// a title template are trimmed.
func pickSiteName(page *pageScan, ld ldInfo) (string, *Evidence) {
	ev := newEvidence()
	cands := metaCandidates(page, "og:site_name")
	cands = append(cands, stringCandidate{"json-ld:publisher.name", ld.publisher}, stringCandidate{"json-ld:WebSite.name", ld.websiteName})
	cands = append(cands, metaCandidates(page, "application-name", "al:android:app_name", "al:ios:app_name")...)
	chosen := ""
	for _, c := range cands {
		if chosen != "" && ev.full() {
			break
		}
		v := strings.TrimFunc(firstNonEmpty(c.value), func(r rune) bool {
			return r == ' ' || strings.ContainsRune("|-–—:·•»/", r)
		})
		why := ""
		if looksLikeURL(v) {
			why = "a URL, not a name"
		} else if v == "" {
			why = "only separators"
		}
		i := ev.add(c.source, c.value, v, why)
		if why == "" && chosen == "" {
			chosen = v
			ev.choose(i, v, c.source, c.value, v)
		}
	}
	return chosen, ev
}

// siteNameVariants lists the names a page may use for its own site, for
// recognising title suffixes and author fields that name the site: the
// declared site name and publisher, and the host with and without its
// "www." and suffix ("nytimes.com", "nytimes").
func siteNameVariants(siteName string, ld ldInfo, pageURL *url.URL) []string {
	names := []string{siteName, ld.publisher, ld.websiteName}
	host := strings.TrimPrefix(pageURL.Hostname(), "www.")
	names = append(names, host)
	if i := strings.IndexByte(host, '.'); i > 0 {
		names = append(names, host[:i])
	}
	out := names[:0]
	for _, n := range names {
		if normalizeName(n) != "" {
			out = append(out, n)
		}
	}
	return out
}

// titleSeparators split a title from the site name that CMSes append.
var titleSeparators = []string{" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " / ", " : "}

// pickTitle returns the headline, by precedence: og:title, the JSON-LD
// headline, readability's title, twitter:title, the <title>, the first
// <h1>, the feed's title for the item. The site's name is stripped from
// each; a candidate that is then only the site's name is rejected (a
// template filling og:title with it), unless all are.
func pickTitle(page *pageScan, ld ldInfo, readabilityTitle string, siteNames []string, hints Hints) (string, *Evidence) {
	ev := newEvidence()
	cands := metaCandidates(page, "og:title")
	cands = append(cands, stringCandidate{"json-ld:headline", ld.headline}, stringCandidate{"readability", readabilityTitle})
	cands = append(cands, metaCandidates(page, "twitter:title")...)
	cands = append(cands, stringCandidate{"html:title", page.title}, stringCandidate{"html:h1", firstH1(page)}, stringCandidate{"feed:title", hints.FeedTitle})
	chosen, fallback, fallbackIndex := "", "", -1
	for _, c := range cands {
		if chosen != "" && ev.full() {
			break
		}
		v := firstNonEmpty(c.value)
		if v == "" {
			continue
		}
		t := stripSiteName(v, siteNames)
		why := ""
		if matchesAny(t, siteNames) {
			why = "the site's name, not a headline"
		}
		i := ev.add(c.source, c.value, t, why)
		if fallbackIndex < 0 {
			// The first candidate is always within the bound.
			fallback, fallbackIndex = t, i
		}
		if why == "" && chosen == "" {
			chosen = t
			ev.choose(i, t, c.source, c.value, t)
		}
	}
	if chosen == "" && fallbackIndex >= 0 {
		chosen = fallback
		ev.Candidates[fallbackIndex].Rejected = ""
		ev.choose(fallbackIndex, fallback, "", "", "")
	}
	return chosen, ev
}

func firstH1(page *pageScan) string {
	if len(page.h1) > 0 {
		return page.h1[0]
	}
	return ""
}

// stripSiteName removes " | Site Name" suffixes and "Site Name | "
// prefixes when the removed part is the site's name, never otherwise:
// "Brexit - what next?" keeps its dash.
func stripSiteName(title string, siteNames []string) string {
	for changed := true; changed; {
		changed = false
		for _, sep := range titleSeparators {
			if i := strings.LastIndex(title, sep); i > 0 {
				if matchesAny(title[i+len(sep):], siteNames) && strings.TrimSpace(title[:i]) != "" {
					title, changed = strings.TrimSpace(title[:i]), true
				}
			}
			if i := strings.Index(title, sep); i > 0 {
				if matchesAny(title[:i], siteNames) && strings.TrimSpace(title[i+len(sep):]) != "" {
					title, changed = strings.TrimSpace(title[i+len(sep):]), true
				}
			}
		}
	}
	return title
}

func matchesAny(s string, names []string) bool {
	for _, n := range names {
		if sameName(s, n) {
			return true
		}
	}
	return false
}

func pickDescription(page *pageScan, ld ldInfo) string {
	return firstNonEmpty(
		firstMeta(page, "description", "og:description", "twitter:description", "dc.description", "dcterms.description"),
		ld.description,
	)
}

// pickSection returns the section, by precedence: article:section, the
// JSON-LD articleSection, then other section meta tags.
func pickSection(page *pageScan, ld ldInfo) (string, *Evidence) {
	cands := metaCandidates(page, "article:section")
	cands = append(cands, stringCandidate{"json-ld:articleSection", ld.section})
	cands = append(cands, metaCandidates(page, "section", "article.section", "parsely-section", "sailthru.section")...)
	return firstCandidate(cands)
}

// firstCandidate records every candidate and chooses the first that is
// not blank.
func firstCandidate(cands []stringCandidate) (string, *Evidence) {
	ev := newEvidence()
	chosen := ""
	for _, c := range cands {
		if chosen != "" && ev.full() {
			break
		}
		v := firstNonEmpty(c.value)
		if v == "" {
			continue
		}
		i := ev.add(c.source, c.value, v, "")
		if chosen == "" {
			chosen = v
			ev.choose(i, v, c.source, c.value, v)
		}
	}
	return chosen, ev
}

// maxTags bounds the tag list: some pages stuff hundreds of SEO keywords
// into their meta tags.
const maxTags = 50

func pickTags(page *pageScan, ld ldInfo) []string {
	var raw []string
	raw = append(raw, page.meta["article:tag"]...)
	for _, k := range []string{"news_keywords", "keywords", "parsely-tags"} {
		for _, v := range page.meta[k] {
			raw = append(raw, strings.Split(v, ",")...)
		}
	}
	raw = append(raw, ld.keywords...)
	tags := []string{}
	seen := map[string]bool{}
	for _, t := range raw {
		t = firstNonEmpty(t)
		if t == "" || utf8.RuneCountInString(t) > 100 {
			continue
		}
		key := strings.ToLower(t)
		if seen[key] {
			continue
		}
		seen[key] = true
		tags = append(tags, t)
		if len(tags) == maxTags {
			break
		}
	}
	return tags
}

// pickImage returns the lead image, by precedence: og:image (and its
// :url and :secure_url forms), the JSON-LD image, twitter:image,
// thumbnailUrl, <link rel=image_src>; each resolved against the page.
func pickImage(page *pageScan, ld ldInfo, base *url.URL) (string, *Evidence) {
	cands := metaCandidates(page, "og:image", "og:image:url", "og:image:secure_url")
	cands = append(cands, stringCandidate{"json-ld:image", ld.image})
	cands = append(cands, metaCandidates(page, "twitter:image", "twitter:image:src", "thumbnailurl")...)
	cands = append(cands, stringCandidate{"link:image_src", page.imageSrc})
	ev := newEvidence()
	chosen := ""
	for _, c := range cands {
		if chosen != "" && ev.full() {
			break
		}
		v := strings.TrimSpace(c.value)
		if v == "" {
			continue
		}
		u, ok := resolveURL(base, v)
		why := ""
		if !ok {
			why = "not an http(s) URL"
		}
		i := ev.add(c.source, v, u, why)
		if ok && chosen == "" {
			chosen = u
			ev.choose(i, u, c.source, v, u)
		}
	}
	return chosen, ev
}

// pickCanonical returns the page's canonical URL, dropping values that
// are clearly wrong: CMS templates often point every page at the home
// page or at its section.
func pickCanonical(page *pageScan, pageURL, base *url.URL) string {
	for _, raw := range []string{page.canonical, firstMeta(page, "og:url")} {
		if raw == "" {
			continue
		}
		c, ok := resolveParsed(base, raw)
		if !ok || !plausibleCanonical(c, pageURL) {
			continue
		}
		return c.String()
	}
	return ""
}

func plausibleCanonical(c, pageURL *url.URL) bool {
	cPath := strings.Trim(c.EscapedPath(), "/")
	pPath := strings.Trim(pageURL.EscapedPath(), "/")
	if cPath == "" {
		// The site root is canonical only for the site root.
		return pPath == ""
	}
	if !strings.EqualFold(strings.TrimPrefix(c.Hostname(), "www."), strings.TrimPrefix(pageURL.Hostname(), "www.")) {
		return true
	}
	if cPath == pPath || !strings.HasPrefix(pPath, cPath+"/") {
		return true
	}
	// The canonical is an ancestor of this page: fine for an AMP or print
	// variant of a story ("/story-slug/amp"), wrong when it is a section.
	return looksLikeArticleURL(c)
}

// primaryLanguage turns "en-US", "en_GB" or "EN" into "en"; it returns ""
// for values that are not a language tag.
func primaryLanguage(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexAny(v, "-_"); i >= 0 {
		v = v[:i]
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) < 2 || len(v) > 3 {
		return ""
	}
	for _, r := range v {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	switch v {
	case "und", "mul", "zxx", "mis":
		return ""
	}
	return v
}
