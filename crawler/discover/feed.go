package discover

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"
)

// Feed is a parsed RSS, Atom or JSON feed.
type Feed struct {
	Title   string
	Type    string // "rss", "atom" or "json"
	Entries []Entry
	// Truncated is set when more items than MaxEntries were listed.
	Truncated bool
}

// ParseFeed reads a feed fetched from feedURL. Items without a usable
// http(s) link are skipped (their positions still count, so Position is
// the item's place in the feed).
func ParseFeed(body []byte, feedURL string, lim Limits) (feed *Feed, err error) {
	defer func() {
		if p := recover(); p != nil {
			feed, err = nil, fmt.Errorf("parse feed %s: parser panicked: %v", feedURL, p)
		}
	}()
	lim = lim.orDefault()
	if int64(len(body)) > lim.MaxBytes {
		return nil, fmt.Errorf("parse feed %s: %w (%d bytes)", feedURL, ErrTooLarge, lim.MaxBytes)
	}
	base, err := url.Parse(feedURL)
	if err != nil {
		return nil, fmt.Errorf("parse feed: bad feed url %q: %w", feedURL, err)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse feed %s: %w (is it RSS or Atom?)", feedURL, err)
	}
	out := &Feed{Title: strings.TrimSpace(f.Title), Type: f.FeedType}
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		if len(out.Entries) >= lim.MaxEntries {
			out.Truncated = true
			break
		}
		link := resolve(base, it.Link)
		if link == "" {
			for _, l := range it.Links {
				if link = resolve(base, l); link != "" {
					break
				}
			}
		}
		if link == "" {
			// RSS guids are often the permalink (isPermaLink defaults to true).
			link = resolve(nil, it.GUID)
		}
		if link == "" {
			continue
		}
		e := Entry{URL: link, Position: i + 1, Title: strings.TrimSpace(it.Title), GUID: strings.TrimSpace(it.GUID)}
		if it.PublishedParsed != nil {
			t := it.PublishedParsed.UTC()
			e.Published = &t
		}
		if it.UpdatedParsed != nil {
			t := it.UpdatedParsed.UTC()
			e.Updated = &t
		}
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}
