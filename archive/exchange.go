package archive

import (
	"net/http"
	"time"
)

// Exchange is one fetch of a URL as it crossed the wire, with every redirect
// hop in order. It is what the crawler hands to the capture pipeline and what
// a WARC file records.
type Exchange struct {
	// RequestedURL is the URL the crawler asked for, before redirects.
	RequestedURL string
	// Hops holds one request/response pair per HTTP round trip; the last is
	// the final response. A fetch that failed before any response has none.
	Hops []Hop
	// FetchStart and FetchEnd bound the whole fetch, redirects included (UTC).
	FetchStart time.Time
	FetchEnd   time.Time
	// Discovery context.
	Seed  string // the seed URL this fetch descends from
	Via   string // the page that linked to it ("" for a seed)
	Depth int    // link hops from the seed (0 for a seed)
	// Robots is the robots.txt decision that allowed the fetch.
	Robots RobotsDecision
	// RunID names the crawl run.
	RunID string
	// Source and Tags name the configured source this fetch serves and
	// its tags ("" and nil for a one-off crawl).
	Source string
	Tags   []string
	// UserAgent is the User-Agent the crawler sent.
	UserAgent string
	// Discovery tells how the URL was found, when a source found it.
	Discovery *Discovery
}

// Discovery is where and when a URL was found: the discovery log entry
// that a capture carries into its provenance, and the feed and sitemap
// dates that the extractor weighs as metadata evidence.
type Discovery struct {
	Source   string    `json:"source"`
	Kind     string    `json:"kind"` // "page", "feed", "sitemap"
	FoundAt  time.Time `json:"found_at"`
	Via      string    `json:"via,omitempty"`      // the page, feed or sitemap URL it was found on
	Position int       `json:"position,omitempty"` // 1-based position of the link or item there
	FeedGUID string    `json:"feed_guid,omitempty"`
	// Dates the source claims for the item.
	FeedDate            *time.Time `json:"feed_date,omitempty"`
	SitemapLastmod      *time.Time `json:"sitemap_lastmod,omitempty"`
	NewsPublicationDate *time.Time `json:"news_publication_date,omitempty"`
	Title               string     `json:"title,omitempty"` // the item's title in the feed or news sitemap
}

// Final returns the last hop, or nil when there is none.
func (e *Exchange) Final() *Hop {
	if len(e.Hops) == 0 {
		return nil
	}
	return &e.Hops[len(e.Hops)-1]
}

// Hop is one HTTP request and the response it got.
type Hop struct {
	URL            string      // absolute request URL
	Method         string      // "GET"
	Proto          string      // response protocol, e.g. "HTTP/1.1"
	RequestHeader  http.Header // headers as sent, Host and User-Agent included
	Status         int         // HTTP status code
	StatusText     string      // e.g. "200 OK"
	ResponseHeader http.Header // headers as received
	// Body is the response payload exactly as transferred (still
	// content-encoded if the server encoded it), cut at the size limit.
	Body []byte
	// Truncated is "" for a whole body, or the WARC-Truncated reason:
	// "length" (size cap), "time" (deadline) or "disconnect".
	Truncated string
	RemoteIP  string // IP address of the server that answered
	Start     time.Time
	End       time.Time
}

// RobotsDecision records whether and how robots.txt was consulted.
type RobotsDecision struct {
	// Policy is "obey" or "ignore" (configuration).
	Policy string `json:"policy"`
	// Result is "allowed", "disallowed", "no-robots" (404 or similar),
	// "unavailable" (could not be fetched; treated as allowed) or
	// "not-checked" (policy ignore).
	Result    string `json:"result"`
	RobotsURL string `json:"robots_url,omitempty"`
}
