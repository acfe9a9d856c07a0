package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// Store is what an export reads from the store.
type Store interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Versions values.
const (
	AllVersions    = "all"
	LatestVersions = "latest"
)

// Query is the exact selection of an export, as the manifest records it:
// every field is written, set or not, so a reader never has to guess a
// default.
type Query struct {
	// Text is a full-text query (words, "phrases", OR, -word).
	Text string `json:"text"`
	// URL is a normalised URL key; it matches URL and canonical URL.
	URL      string `json:"url"`
	Host     string `json:"host"`
	Source   string `json:"source"`
	Tag      string `json:"tag"`
	Language string `json:"language"`
	Author   string `json:"author"`
	PageType string `json:"page_type"`
	// Since and Until bound the capture time, PublishedSince and
	// PublishedUntil the publication date (null: unbounded).
	Since          *time.Time `json:"since"`
	Until          *time.Time `json:"until"`
	PublishedSince *time.Time `json:"published_since"`
	PublishedUntil *time.Time `json:"published_until"`
	// Versions is "all" or "latest" (the latest capture of each page
	// among those selected).
	Versions string `json:"versions"`
	// Limit keeps the first N captures selected (0: all).
	Limit int `json:"limit"`
	// Sample keeps a random sample of N of the selected captures (0: all),
	// chosen by Seed: the same seed gives the same sample.
	Sample int    `json:"sample"`
	Seed   uint64 `json:"seed"`
}

func (q *Query) check() error {
	switch q.Versions {
	case "":
		q.Versions = AllVersions
	case AllVersions, LatestVersions:
	default:
		return fmt.Errorf("export: unknown versions %q: use all or latest", q.Versions)
	}
	if q.Limit < 0 || q.Sample < 0 {
		return fmt.Errorf("export: limit and sample must not be negative")
	}
	return nil
}

// selection is the catalog selection of q, before sampling.
func (q Query) selection() catalog.Selection {
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return *p
	}
	return catalog.Selection{
		Filter: catalog.Filter{
			URLKey: q.URL, Host: q.Host, Since: t(q.Since), Until: t(q.Until), Limit: q.Limit,
			Source: q.Source, Tag: q.Tag, Language: q.Language, Author: q.Author, PageType: q.PageType,
			PublishedSince: t(q.PublishedSince), PublishedUntil: t(q.PublishedUntil),
		},
		Text:       q.Text,
		LatestOnly: q.Versions == LatestVersions,
	}
}
