package extract

import (
	"encoding/json"
	"strings"
)

// ldInfo is what the page's JSON-LD says about it.
type ldInfo struct {
	// articleType is the schema.org type of the page's main article
	// ("NewsArticle"...), empty when there is none.
	articleType string
	// listing is set when the page declares itself a collection
	// (CollectionPage, ItemList, SearchResultsPage); video when it
	// describes a VideoObject.
	listing, video bool

	headline, description, section, image, language, pageURL string
	authors                                                  []ldAuthor
	published, created, modified                             string
	publisher, websiteName                                   string
	keywords                                                 []string
	// notFree is set when the article or a part of it is declared
	// isAccessibleForFree: false; wallSelectors are the cssSelector
	// values of the parts so declared.
	notFree       bool
	wallSelectors []string
}

type ldAuthor struct {
	name         string
	organization bool
}

// articleTypes are the schema.org types whose node describes the page's
// story.
var articleTypes = map[string]bool{
	"article": true, "newsarticle": true, "reportagenewsarticle": true,
	"analysisnewsarticle": true, "opinionnewsarticle": true,
	"backgroundnewsarticle": true, "reviewnewsarticle": true,
	"asknewsarticle": true, "askpublicnewsarticle": true,
	"blogposting": true, "liveblogposting": true, "socialmediaposting": true,
	"techarticle": true, "scholarlyarticle": true, "report": true,
	"satiricalarticle": true, "advertisercontentarticle": true,
	"medicalscholarlyarticle": true, "review": true, "posting": true,
}

var listingTypes = map[string]bool{
	"collectionpage": true, "itemlist": true, "searchresultspage": true,
}

// parseJSONLD reads every JSON-LD block of the page. Broken blocks are
// skipped: publishers ship invalid JSON often, and one bad block must not
// hide the others.
func parseJSONLD(blocks []string) ldInfo {
	var nodes []map[string]any
	ids := map[string]map[string]any{}
	for _, raw := range blocks {
		for _, v := range decodeJSONLD(raw) {
			collectLDNodes(v, &nodes, 0)
			indexLDIDs(v, ids, 0)
		}
	}
	var info ldInfo
	var article map[string]any
	for _, n := range nodes {
		for _, t := range ldTypes(n) {
			switch {
			case articleTypes[t] && article == nil:
				article = n
				info.articleType = t
			case listingTypes[t]:
				info.listing = true
			case t == "videoobject":
				info.video = true
			case t == "website" && info.websiteName == "":
				info.websiteName = ldString(n["name"])
			}
		}
	}
	if article == nil {
		// Pages typed only as WebPage still often carry dates, headline
		// and authors on that node.
		for _, n := range nodes {
			if typ := ldTypes(n); len(typ) > 0 && (typ[0] == "webpage" || typ[0] == "itempage") {
				article = n
				break
			}
		}
	}
	if article == nil {
		return info
	}
	info.headline = ldString(article["headline"])
	if info.headline == "" && info.articleType != "" {
		info.headline = ldString(article["name"])
	}
	info.description = ldString(article["description"])
	info.section = ldString(article["articleSection"])
	info.image = ldImage(article["image"], ids)
	info.language = ldLanguage(article["inLanguage"])
	info.pageURL = ldString(article["url"])
	info.published = ldString(article["datePublished"])
	info.created = ldString(article["dateCreated"])
	info.notFree, info.wallSelectors = ldAccess(article, ids)
	info.modified = ldString(article["dateModified"])
	info.authors = ldAuthors(article["author"], ids)
	if len(info.authors) == 0 {
		info.authors = ldAuthors(article["creator"], ids)
	}
	if pub := resolveLDRef(article["publisher"], ids); pub != nil {
		info.publisher = ldString(pub["name"])
	}
	info.keywords = ldKeywords(article["keywords"])
	return info
}

// decodeJSONLD decodes one script body, which may hold several values and
// may be wrapped in HTML comments or CDATA markers.
func decodeJSONLD(raw string) []any {
	raw = strings.TrimSpace(raw)
	raw = strings.TrimPrefix(raw, "<!--")
	raw = strings.TrimSuffix(raw, "-->")
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "//<![CDATA[")
	raw = strings.TrimPrefix(raw, "<![CDATA[")
	raw = strings.TrimSuffix(strings.TrimSpace(raw), "//]]>")
	raw = strings.TrimSuffix(raw, "]]>")
	if vals := decodeJSONValues(raw); len(vals) > 0 {
		return vals
	}
	// Raw line breaks and tabs inside strings are the most common defect.
	return decodeJSONValues(strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, raw))
}

func decodeJSONValues(raw string) []any {
	dec := json.NewDecoder(strings.NewReader(raw))
	var out []any
	for len(out) < 64 {
		var v any
		if err := dec.Decode(&v); err != nil {
			break
		}
		out = append(out, v)
	}
	return out
}

// maxLDDepth bounds recursion into hostile JSON.
const maxLDDepth = 32

// collectLDNodes gathers the typed objects that describe the page itself:
// top-level values, @graph members and main entities. Objects nested in
// other properties (an ItemList's items, a review's subject) are not the
// page.
func collectLDNodes(v any, out *[]map[string]any, depth int) {
	if depth > maxLDDepth {
		return
	}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			collectLDNodes(e, out, depth+1)
		}
	case map[string]any:
		if _, ok := t["@type"]; ok {
			*out = append(*out, t)
		}
		collectLDNodes(t["@graph"], out, depth+1)
		for _, key := range []string{"mainEntity", "mainEntityOfPage"} {
			if m, ok := t[key].(map[string]any); ok {
				if _, typed := m["@type"]; typed {
					collectLDNodes(m, out, depth+1)
				}
			}
		}
	}
}

// indexLDIDs maps every @id to its object so references such as
// "author": {"@id": "#person-1"} can be followed.
func indexLDIDs(v any, ids map[string]map[string]any, depth int) {
	if depth > maxLDDepth {
		return
	}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			indexLDIDs(e, ids, depth+1)
		}
	case map[string]any:
		if id, ok := t["@id"].(string); ok && len(t) > 1 {
			if _, seen := ids[id]; !seen {
				ids[id] = t
			}
		}
		for k, e := range t {
			if k != "@id" {
				indexLDIDs(e, ids, depth+1)
			}
		}
	}
}

func resolveLDRef(v any, ids map[string]map[string]any) map[string]any {
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		v = arr[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if id, ok := m["@id"].(string); ok && len(m) == 1 {
		if full := ids[id]; full != nil {
			return full
		}
	}
	return m
}

// ldTypes returns the node's types, lowercased and without a schema.org
// prefix.
func ldTypes(n map[string]any) []string {
	var types []string
	add := func(s string) {
		if i := strings.LastIndexAny(s, "/:#"); i >= 0 {
			s = s[i+1:]
		}
		if s != "" {
			types = append(types, strings.ToLower(s))
		}
	}
	switch t := n["@type"].(type) {
	case string:
		add(t)
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				add(s)
			}
		}
	}
	return types
}

// ldString reads a text value: a string, the first string of a list, or
// a {"@value": ...} object.
func ldString(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case []any:
		for _, e := range t {
			if s := ldString(e); s != "" {
				return s
			}
		}
	case map[string]any:
		if s, ok := t["@value"].(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func ldImage(v any, ids map[string]map[string]any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case []any:
		for _, e := range t {
			if s := ldImage(e, ids); s != "" {
				return s
			}
		}
	case map[string]any:
		m := resolveLDRef(t, ids)
		for _, key := range []string{"url", "contentUrl", "@id"} {
			if s := ldString(m[key]); s != "" && (key != "@id" || strings.HasPrefix(s, "http")) {
				return s
			}
		}
	}
	return ""
}

func ldLanguage(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s := ldString(m["alternateName"]); s != "" {
			return s
		}
		return ldString(m["name"])
	}
	return ldString(v)
}

func ldAuthors(v any, ids map[string]map[string]any) []ldAuthor {
	var out []ldAuthor
	var add func(v any, depth int)
	add = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch t := v.(type) {
		case string:
			if s := strings.TrimSpace(t); s != "" {
				out = append(out, ldAuthor{name: s})
			}
		case []any:
			for _, e := range t {
				add(e, depth+1)
			}
		case map[string]any:
			m := resolveLDRef(t, ids)
			name := ldString(m["name"])
			if name == "" {
				given, family := ldString(m["givenName"]), ldString(m["familyName"])
				name = strings.TrimSpace(given + " " + family)
			}
			if name == "" {
				return
			}
			org := false
			for _, typ := range ldTypes(m) {
				if typ == "organization" || typ == "newsmediaorganization" || typ == "corporation" {
					org = true
				}
			}
			out = append(out, ldAuthor{name: name, organization: org})
		}
	}
	add(v, 0)
	return out
}

func ldKeywords(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		out = append(out, strings.Split(t, ",")...)
	case []any:
		for _, e := range t {
			if s := ldString(e); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// ldAccess reads Google's paywall markup: isAccessibleForFree on the
// article, and on the parts listed in hasPart with the CSS selector of
// the part behind the wall.
func ldAccess(article map[string]any, ids map[string]map[string]any) (notFree bool, selectors []string) {
	if ldFalse(article["isAccessibleForFree"]) {
		notFree = true
	}
	parts, ok := article["hasPart"].([]any)
	if !ok {
		parts = []any{article["hasPart"]}
	}
	for _, p := range parts {
		m := resolveLDRef(p, ids)
		if m == nil || !ldFalse(m["isAccessibleForFree"]) {
			continue
		}
		notFree = true
		if sel := ldString(m["cssSelector"]); sel != "" && len(selectors) < 8 {
			selectors = append(selectors, sel)
		}
	}
	return notFree, selectors
}

// ldFalse reports whether v is false, "false" or "False".
func ldFalse(v any) bool {
	switch t := v.(type) {
	case bool:
		return !t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "false")
	}
	return false
}
