package archive

import "time"

// ProvenanceSchema identifies the version of the provenance record format.
const ProvenanceSchema = "archivist.provenance/v1"

// Provenance is the citable record of one capture: who fetched what, when,
// from where, how it was found, and the digests of every object kept.
// One is written per capture, as the last object, in JSON.
type Provenance struct {
	Schema        string         `json:"schema"`
	CaptureID     string         `json:"capture_id"`
	RequestedURL  string         `json:"requested_url"`
	FinalURL      string         `json:"final_url"`
	RedirectChain []Redirect     `json:"redirect_chain"`
	Status        int            `json:"http_status"`
	FetchStart    time.Time      `json:"fetch_start"`
	FetchEnd      time.Time      `json:"fetch_end"`
	RemoteIP      string         `json:"remote_ip,omitempty"`
	ContentType   string         `json:"content_type,omitempty"`
	ContentLength int64          `json:"content_length"`
	Truncated     string         `json:"truncated,omitempty"`
	PayloadSHA256 string         `json:"payload_sha256"`
	Seed          string         `json:"seed,omitempty"`
	Via           string         `json:"via,omitempty"`
	Hops          int            `json:"hops"`
	Robots        RobotsDecision `json:"robots"`
	UserAgent     string         `json:"user_agent,omitempty"`
	Software      Component      `json:"software"`
	Extractor     Component      `json:"extractor"`
	CrawlRunID    string         `json:"crawl_run_id"`
	Source        string         `json:"source,omitempty"`
	Tags          []string       `json:"tags,omitempty"`
	// PreviousCaptureID is the capture before this one of the same page,
	// when there is one: the version chain.
	PreviousCaptureID string `json:"previous_capture_id,omitempty"`
	// Revisit is set when the payload was identical to an earlier
	// capture's: the WARC holds a revisit record instead of a second copy.
	Revisit *RevisitOf `json:"revisit_of,omitempty"`
	// ContentChanged tells, for a full capture that has a previous one,
	// whether the extracted content differs from the previous version's;
	// Changed names what differs: "headline", "byline", "dates", "body".
	// Both are absent for the first capture of a page and for revisits
	// (whose content is the referred capture's).
	ContentChanged *bool    `json:"content_changed,omitempty"`
	Changed        []string `json:"changed,omitempty"`
	// Response identifies the WARC record of the final response (the
	// revisit record, for a revisit), so that a later revisit can refer
	// to it exactly.
	Response *WARCRecordRef `json:"warc_response,omitempty"`
	// Discovery is how a source found the URL (daemon crawls).
	Discovery *Discovery `json:"discovery,omitempty"`
	// Objects are the other objects of this capture, by role
	// ("warc", "article"), with their digests.
	Objects map[string]ObjectRef `json:"objects"`
}

// RevisitOf names the capture whose payload a revisit record refers to.
type RevisitOf struct {
	CaptureID string    `json:"capture_id"`
	URL       string    `json:"url"`  // WARC-Refers-To-Target-URI
	Date      time.Time `json:"date"` // WARC-Refers-To-Date
	// RecordID is the referred response record's WARC-Record-ID, when
	// known (WARC-Refers-To).
	RecordID string `json:"record_id,omitempty"`
}

// WARCRecordRef identifies one WARC record the way a revisit record
// refers to it: WARC-Record-ID, WARC-Target-URI and WARC-Date.
type WARCRecordRef struct {
	RecordID  string    `json:"record_id"`
	TargetURI string    `json:"target_uri"`
	Date      time.Time `json:"date"`
}

// Redirect is one hop of a redirect chain.
type Redirect struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location,omitempty"`
}

// Component names a piece of software and its version.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ObjectRef points to a stored object and says what it must hash to.
type ObjectRef struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"` // lowercase hex
	Size   int64  `json:"size"`
}
