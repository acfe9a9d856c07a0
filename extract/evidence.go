package extract

import (
	"strings"
	"unicode/utf8"
)

// Metadata fields that carry Evidence, as keys of Article.Evidence.
const (
	FieldTitle     = "title"
	FieldAuthors   = "authors"
	FieldPublished = "published"
	FieldModified  = "modified"
	FieldLanguage  = "language"
	FieldSection   = "section"
	FieldSiteName  = "site_name"
	FieldImage     = "image"
)

// Evidence is what the page, its fetch and its discovery said about one
// metadata field, in the order of precedence, and what was chosen.
type Evidence struct {
	// Chosen is the field's value as in the Article ("" when none was
	// usable); several authors are joined by "; ".
	Chosen string `json:"chosen"`
	// Source is the source of the chosen candidate.
	Source string `json:"source,omitempty"`
	// Candidates are every value found, best source first.
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one value found for a field.
type Candidate struct {
	// Source says where the value was found: "json-ld:datePublished",
	// "meta:og:title", "html:title", "microdata:datePublished",
	// "time", "url", "feed", "news-sitemap", "sitemap:lastmod",
	// "http:Last-Modified", "text" (detected)... The README lists them.
	Source string `json:"source"`
	// Value is the value as found, white space collapsed.
	Value string `json:"value"`
	// Parsed is the value as the field would hold it: a date in RFC 3339
	// UTC, a language code, an absolute URL, cleaned author names joined
	// by "; ", a title without the site's name. Absent when it equals
	// Value.
	Parsed string `json:"parsed,omitempty"`
	// Rejected says why the value could not be used; a candidate that
	// is neither chosen nor rejected lost only on precedence.
	Rejected string `json:"rejected,omitempty"`
}

// Evidence is bounded: a hostile page could otherwise repeat a meta tag
// ten thousand times and make every record huge. The chosen candidate is
// kept even past the bound.
const (
	maxCandidates     = 16
	maxEvidenceValue  = 300
	evidenceEllipsis  = "…"
	evidenceValueTail = maxEvidenceValue - 1
)

// newEvidence returns an empty Evidence.
func newEvidence() *Evidence {
	return &Evidence{Candidates: []Candidate{}}
}

// add records a candidate and returns its index, or -1 when the list is
// full or the value is blank.
func (e *Evidence) add(source, value, parsed, rejected string) int {
	value = clipEvidence(collapseSpace(value))
	if value == "" || len(e.Candidates) >= maxCandidates {
		return -1
	}
	parsed = clipEvidence(parsed)
	if parsed == value {
		parsed = ""
	}
	e.Candidates = append(e.Candidates, Candidate{Source: source, Value: value, Parsed: parsed, Rejected: rejected})
	return len(e.Candidates) - 1
}

// choose marks candidate i (an index from add) as chosen with the given
// value. When add refused the candidate because the list was full, i is
// -1 and the candidate (source, raw, parsed) is appended anyway: the
// chosen value's source must always be shown.
func (e *Evidence) choose(i int, value, source, raw, parsed string) {
	if i < 0 || i >= len(e.Candidates) {
		i = e.forceAdd(source, raw, parsed)
	}
	e.Chosen = value
	e.Source = e.Candidates[i].Source
}

// forceAdd appends a candidate even when the list is full, and returns
// its index.
func (e *Evidence) forceAdd(source, value, parsed string) int {
	value, parsed = clipEvidence(collapseSpace(value)), clipEvidence(parsed)
	if parsed == value {
		parsed = ""
	}
	e.Candidates = append(e.Candidates, Candidate{Source: source, Value: value, Parsed: parsed})
	return len(e.Candidates) - 1
}

// full reports whether add would refuse another candidate.
func (e *Evidence) full() bool {
	return len(e.Candidates) >= maxCandidates
}

// reject marks candidate i as rejected after the fact.
func (e *Evidence) reject(i int, why string) {
	if i >= 0 && i < len(e.Candidates) {
		e.Candidates[i].Rejected = why
	}
}

func clipEvidence(s string) string {
	if len(s) <= maxEvidenceValue || utf8.RuneCountInString(s) <= maxEvidenceValue {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:evidenceValueTail])) + evidenceEllipsis
}

// stringCandidate is a candidate value with its source, before it is
// recorded.
type stringCandidate struct {
	source, value string
}

// metaCandidates lists the values of the meta keys in key order, each
// labelled "meta:<key>".
func metaCandidates(page *pageScan, keys ...string) []stringCandidate {
	var out []stringCandidate
	for _, k := range keys {
		for _, v := range page.meta[k] {
			out = append(out, stringCandidate{"meta:" + k, v})
		}
	}
	return out
}
