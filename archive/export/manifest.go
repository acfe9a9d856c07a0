package export

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/archivist-project/archivist/archive"
)

// ManifestSchema identifies the manifest format.
const ManifestSchema = "archivist.export-manifest/v1"

// File roles in a manifest.
const (
	RoleData      = "data"      // the dataset
	RoleIndex     = "index"     // the CDXJ index of a WARC export
	RoleCaptures  = "captures"  // the capture ids, one a line
	RoleDatasheet = "datasheet" // describes the dataset; not compared on reproduction
)

// Manifest records an export so that it can be cited and made again: the
// exact query, when and with what software it ran, how many rows it has,
// and each file's SHA-256 and size. Reproduce reads it back.
type Manifest struct {
	Schema    string            `json:"schema"`
	Created   time.Time         `json:"created"`
	Software  archive.Component `json:"software"`
	Extractor archive.Component `json:"extractor"`
	// ExtractorVersions counts the rows by the extractor version that
	// produced their Article.
	ExtractorVersions map[string]int `json:"extractor_versions"`
	Archive           string         `json:"archive"`
	Format            Format         `json:"format"`
	Query             Query          `json:"query"`
	With              []string       `json:"with"`
	Dedupe            bool           `json:"dedupe"`
	// ExcludedByEmbargo counts captures the query selected but the
	// embargo list hides.
	ExcludedByEmbargo int          `json:"excluded_by_embargo"`
	NearDuplicates    *NearDupInfo `json:"near_duplicates"`
	Rows              int          `json:"rows"`
	// RevisitTargetsAdded counts captures a WARC or WACZ export holds
	// only because a selected revisit refers to their payload.
	RevisitTargetsAdded int         `json:"revisit_targets_added"`
	Captures            CaptureList `json:"captures"`
	Files               []File      `json:"files"`
	// Outlinks, with the outlinks field, says how links were obtained.
	Outlinks *OutlinksInfo `json:"outlinks,omitempty"`
}

// NearDupInfo says how near-duplicate clusters were found.
type NearDupInfo struct {
	Method       string  `json:"method"`
	ShingleWords int     `json:"shingle_words"`
	Threshold    float64 `json:"threshold"`
	Clusters     int     `json:"clusters"`
	// RowsInClusters counts selected captures that have at least one
	// near-duplicate.
	RowsInClusters int `json:"rows_in_clusters"`
}

// CaptureList names the capture ids an export was made from: every
// capture the query selected, in row order (with Dedupe, the rows are the
// ones kept among them).
type CaptureList struct {
	Count  int    `json:"count"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// File is one file of an export; Path is relative to the manifest's
// directory.
type File struct {
	Path   string `json:"path"`
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// ReadManifest reads and checks a manifest file.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("read manifest %s: schema %q, not %q: is this an archivist export manifest?", path, m.Schema, ManifestSchema)
	}
	if _, err := ParseFormat(string(m.Format)); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	if m.Captures.File == "" || filepath.Base(m.Captures.File) != m.Captures.File {
		return nil, fmt.Errorf("read manifest %s: captures file %q must be a file name beside the manifest", path, m.Captures.File)
	}
	for _, f := range m.Files {
		if f.Path == "" || filepath.Base(f.Path) != f.Path {
			return nil, fmt.Errorf("read manifest %s: file %q must be a file name beside the manifest", path, f.Path)
		}
	}
	return &m, nil
}

// dataFile returns the manifest's dataset file.
func (m *Manifest) dataFile() (File, bool) {
	for _, f := range m.Files {
		if f.Role == RoleData {
			return f, true
		}
	}
	return File{}, false
}

func (m *Manifest) encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(data, '\n'), nil
}
