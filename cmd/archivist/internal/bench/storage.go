package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// captureCounts sorts the crawl's catalog rows.
type captureCounts struct {
	articles, listings, other int
}

// measureStorage opens the crawl's archive (the data directory's local
// store and SQLite catalog, as `crawl` lays them out), counts the captures
// and sizes every object the catalog names from the file itself, and
// gzips every response body read back from its WARC to size the payload.
func measureStorage(ctx context.Context, cfg Config, data string, articleURLs, seedURLs []string) (captureCounts, Storage, error) {
	var counts captureCounts
	var s Storage
	st, err := local.Open(filepath.Join(data, "store"))
	if err != nil {
		return counts, s, fmt.Errorf("bench: open the crawl's store: %w", err)
	}
	defer st.Close()
	cat, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		return counts, s, fmt.Errorf("bench: open the crawl's catalog: %w", err)
	}
	var entries []catalog.Entry
	err = cat.List(ctx, catalog.Filter{}, func(e catalog.Entry) error {
		e.Text = "" // not needed here; a 10,000-row crawl holds tens of MB of it
		entries = append(entries, e)
		return nil
	})
	cat.Close()
	if err != nil {
		return counts, s, fmt.Errorf("bench: list the crawl's catalog: %w", err)
	}
	isArticle, isSeed := keySet(articleURLs), keySet(seedURLs)
	captured := map[string]bool{}
	for _, e := range entries {
		k := urlnorm.Key(e.FinalURL)
		switch {
		case isArticle[k] && !captured[k]:
			counts.articles++
			captured[k] = true
		case isSeed[k]:
			counts.listings++
		default:
			counts.other++
		}
	}
	s.Captures = len(entries)
	if s.CatalogBytes, err = filesSize(filepath.Join(data, "catalog.db")); err != nil {
		return counts, s, err
	}

	if cfg.Progress != nil {
		cfg.Progress.Phase("read back", int64(len(entries)))
		defer cfg.Progress.Done()
	}
	var mu sync.Mutex
	var firstErr error
	seen := map[string]bool{} // an Article shared by revisits is stored once
	jobs := make(chan catalog.Entry)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for e := range jobs {
				sizes, payload, packed, err := sizeCapture(ctx, st, e, cfg.Capture.MaxBodyBytes)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for i, acc := range []*int64{&s.WARCBytes, &s.ArticleBytes, &s.ProvenanceBytes} {
					key := [3]string{e.WARC.Key, e.Article.Key, e.Provenance.Key}[i]
					if !seen[key] {
						*acc += sizes[i]
						seen[key] = true
					}
				}
				s.PayloadBytes += payload
				s.CompressedPayloadBytes += packed
				mu.Unlock()
				if cfg.Progress != nil {
					cfg.Progress.Add(1)
				}
			}
		})
	}
	for _, e := range entries {
		jobs <- e
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return counts, s, firstErr
	}
	s.StoredBytes = s.WARCBytes + s.ArticleBytes + s.ProvenanceBytes
	if s.CompressedPayloadBytes > 0 {
		s.Overhead = float64(s.StoredBytes-s.CompressedPayloadBytes) / float64(s.CompressedPayloadBytes)
	}
	return counts, s, nil
}

// sizeCapture returns the sizes of a capture's three objects as files,
// checked against the catalog, and its payload's size plain and gzipped.
func sizeCapture(ctx context.Context, st *local.Store, e catalog.Entry, maxBody int64) ([3]int64, int64, int64, error) {
	var sizes [3]int64
	for i, ref := range []struct {
		key  string
		size int64
	}{{e.WARC.Key, e.WARC.Size}, {e.Article.Key, e.Article.Size}, {e.Provenance.Key, e.Provenance.Size}} {
		info, err := st.Stat(ctx, ref.key)
		if err != nil {
			return sizes, 0, 0, fmt.Errorf("bench: capture %s: %w", e.CaptureID, err)
		}
		if info.Size != ref.size {
			return sizes, 0, 0, fmt.Errorf("bench: capture %s: %s is %d bytes, the catalog says %d (run `archivist verify`)", e.CaptureID, ref.key, info.Size, ref.size)
		}
		sizes[i] = info.Size
	}
	c, err := capture.LoadExchange(ctx, st, e.CaptureID, maxBody)
	if err != nil {
		return sizes, 0, 0, fmt.Errorf("bench: read back capture %s: %w", e.CaptureID, err)
	}
	if c.Revisit != nil {
		return sizes, 0, 0, nil // its payload is counted with the capture it refers to
	}
	body := c.Exchange.Final().Body
	packed, err := gzipSize(body)
	if err != nil {
		return sizes, 0, 0, fmt.Errorf("bench: compress the payload of %s: %w", e.CaptureID, err)
	}
	return sizes, int64(len(body)), packed, nil
}

// gzipSize is the size of data gzipped at the capture WARC writer's level
// (warc.DefaultLevel, with klauspost/compress as the writer).
func gzipSize(data []byte) (int64, error) {
	var n countingWriter
	zw, err := gzip.NewWriterLevel(&n, warc.DefaultLevel)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(n), nil
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// keySet maps URLs to their normalised keys, as the catalog keys them.
func keySet(urls []string) map[string]bool {
	m := make(map[string]bool, len(urls))
	for _, u := range urls {
		m[urlnorm.Key(u)] = true
	}
	return m
}

// filesSize is the size of an SQLite database with its WAL and shared
// memory files.
func filesSize(db string) (int64, error) {
	var total int64
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != db {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("bench: size the crawl's catalog: %w", err)
		}
		total += fi.Size()
	}
	return total, nil
}
