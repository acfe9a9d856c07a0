package discover

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html/charset"
)

// Sitemap is a parsed sitemap: either an index of sitemaps or a list of
// URLs (a urlset, possibly with Google News extensions).
type Sitemap struct {
	Index    bool
	Sitemaps []Entry // of an index: URL, Position, Lastmod
	Entries  []Entry // of a urlset
	// Truncated is set when the document was cut (size cap, broken XML
	// after some entries) or listed more than MaxEntries.
	Truncated bool
}

type xmlURL struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod"`
	News    *struct {
		PublicationDate string `xml:"publication_date"`
		Title           string `xml:"title"`
	} `xml:"news"`
}

type xmlSitemapRef struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod"`
}

// ParseSitemap reads a sitemap, sitemap index or news sitemap fetched from
// sitemapURL (already decoded: see Decode). Entries are streamed, so a
// document cut short still yields the entries before the cut.
func ParseSitemap(body []byte, sitemapURL string, lim Limits) (sm *Sitemap, err error) {
	defer func() {
		if p := recover(); p != nil {
			sm, err = nil, fmt.Errorf("parse sitemap %s: parser panicked: %v", sitemapURL, p)
		}
	}()
	lim = lim.orDefault()
	if int64(len(body)) > lim.MaxBytes {
		return nil, fmt.Errorf("parse sitemap %s: %w (%d bytes)", sitemapURL, ErrTooLarge, lim.MaxBytes)
	}
	base, err := url.Parse(sitemapURL)
	if err != nil {
		return nil, fmt.Errorf("parse sitemap: bad sitemap url %q: %w", sitemapURL, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	sm = &Sitemap{}
	root := ""
	pos := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if root != "" && pos > 0 {
				sm.Truncated = true
				break
			}
			return nil, fmt.Errorf("parse sitemap %s: %w", sitemapURL, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		name := strings.ToLower(se.Name.Local)
		if root == "" {
			switch name {
			case "urlset":
				root = name
			case "sitemapindex":
				root, sm.Index = name, true
			default:
				return nil, fmt.Errorf("parse sitemap %s: root element <%s> is neither <urlset> nor <sitemapindex>", sitemapURL, se.Name.Local)
			}
			continue
		}
		if pos >= lim.MaxEntries {
			sm.Truncated = true
			break
		}
		switch {
		case root == "urlset" && name == "url":
			var u xmlURL
			if err := dec.DecodeElement(&u, &se); err != nil {
				sm.Truncated = true
				return sm, nil
			}
			pos++
			loc := resolve(base, u.Loc)
			if loc == "" {
				continue
			}
			e := Entry{URL: loc, Position: pos, Lastmod: parseW3C(u.Lastmod)}
			if u.News != nil {
				e.NewsPublicationDate = parseW3C(u.News.PublicationDate)
				e.Title = strings.TrimSpace(u.News.Title)
			}
			sm.Entries = append(sm.Entries, e)
		case root == "sitemapindex" && name == "sitemap":
			var r xmlSitemapRef
			if err := dec.DecodeElement(&r, &se); err != nil {
				sm.Truncated = true
				return sm, nil
			}
			pos++
			if loc := resolve(base, r.Loc); loc != "" {
				sm.Sitemaps = append(sm.Sitemaps, Entry{URL: loc, Position: pos, Lastmod: parseW3C(r.Lastmod)})
			}
		}
	}
	if root == "" {
		return nil, fmt.Errorf("parse sitemap %s: no <urlset> or <sitemapindex> element", sitemapURL)
	}
	return sm, nil
}
