package export

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path"
	"time"
)

// WACZVersion is the WACZ specification version written
// (https://specs.webrecorder.net/wacz/1.1.1/).
const WACZVersion = "1.1.1"

// waczMeta is the descriptive metadata of a WACZ's datapackage.json.
type waczMeta struct {
	Title       string
	Description string
	Created     time.Time
	Software    string
}

// waczParts assembles a WACZ from its parts, written beforehand to
// scratch files so that every zip entry's size and CRC-32 are known when
// its header is written: local headers then carry the real sizes (no data
// descriptors), which replay tools reading entries by HTTP range rely on.
type waczParts struct {
	meta    waczMeta
	scratch func() (*os.File, error)
}

// waczResource is one entry of datapackage.json's resources.
type waczResource struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Hash  string `json:"hash"`
	Bytes int64  `json:"bytes"`
}

type dataPackage struct {
	Profile     string         `json:"profile"`
	WACZVersion string         `json:"wacz_version"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Created     string         `json:"created"`
	Modified    string         `json:"modified"`
	Software    string         `json:"software"`
	Resources   []waczResource `json:"resources"`
}

type dataPackageDigest struct {
	Path string `json:"path"`
	Hash string `json:"hash"`
}

// zipPart is one file of the WACZ, either in a scratch file or in memory.
type zipPart struct {
	name string
	file *hashingWriter
	data []byte
}

func (p zipPart) size() int64 {
	if p.file != nil {
		return p.file.n
	}
	return int64(len(p.data))
}

func (p zipPart) sha256() string {
	if p.file != nil {
		return hex.EncodeToString(p.file.sha.Sum(nil))
	}
	sum := sha256.Sum256(p.data)
	return hex.EncodeToString(sum[:])
}

func (p zipPart) crc32() uint32 {
	if p.file != nil {
		return p.file.crc.Sum32()
	}
	return crc32.ChecksumIEEE(p.data)
}

// pack writes the WACZ: archive/data.warc.gz, indexes/index.cdxj,
// pages/pages.jsonl, datapackage.json (each resource's SHA-256 and size)
// and datapackage-digest.json (the SHA-256 of datapackage.json). Every
// entry is stored uncompressed: the WARC is already gzip-compressed per
// record and must stay byte-addressable; the spec allows STORE for the
// rest.
func (w *waczParts) pack(out io.Writer, warc *hashingWriter, index *lineSorter, pages *hashingWriter) error {
	indexFile, err := w.scratch()
	if err != nil {
		return err
	}
	idx := newHashingWriter(indexFile)
	if err := index.writeTo(idx); err != nil {
		return fmt.Errorf("write index.cdxj: %w", err)
	}
	if err := idx.flush(); err != nil {
		return fmt.Errorf("write index.cdxj: %w", err)
	}
	parts := []zipPart{
		{name: "archive/data.warc.gz", file: warc},
		{name: "indexes/index.cdxj", file: idx},
		{name: "pages/pages.jsonl", file: pages},
	}
	created := w.meta.Created.UTC().Format(time.RFC3339)
	pkg := dataPackage{
		Profile: "data-package", WACZVersion: WACZVersion,
		Title: w.meta.Title, Description: w.meta.Description,
		Created: created, Modified: created, Software: w.meta.Software,
	}
	for _, p := range parts {
		pkg.Resources = append(pkg.Resources, waczResource{
			Name: path.Base(p.name), Path: p.name, Hash: "sha256:" + p.sha256(), Bytes: p.size(),
		})
	}
	pkgJSON, err := json.MarshalIndent(pkg, "", "  ")
	if err != nil {
		return fmt.Errorf("write datapackage.json: %w", err)
	}
	pkgPart := zipPart{name: "datapackage.json", data: pkgJSON}
	digestJSON, err := json.MarshalIndent(dataPackageDigest{Path: "datapackage.json", Hash: "sha256:" + pkgPart.sha256()}, "", "  ")
	if err != nil {
		return fmt.Errorf("write datapackage-digest.json: %w", err)
	}
	parts = append(parts, pkgPart, zipPart{name: "datapackage-digest.json", data: digestJSON})

	zw := zip.NewWriter(out)
	for _, p := range parts {
		if err := w.addEntry(zw, p); err != nil {
			return fmt.Errorf("write %s into the wacz: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish wacz: %w", err)
	}
	return nil
}

// addEntry stores one part. The modification time is the export's time,
// so the same export made again has the same bytes.
func (w *waczParts) addEntry(zw *zip.Writer, p zipPart) error {
	var src io.Reader = bytes.NewReader(p.data)
	if p.file != nil {
		if _, err := p.file.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		src = p.file.f
	}
	t := w.meta.Created.UTC()
	fh := &zip.FileHeader{Name: p.name, Method: zip.Store}
	var dst io.Writer
	var err error
	if p.size() < math.MaxUint32 {
		// Sizes and CRC in the local header. CreateRaw leaves the
		// version and MS-DOS time fields to the caller.
		fh.CRC32 = p.crc32()
		fh.CompressedSize64, fh.UncompressedSize64 = uint64(p.size()), uint64(p.size())
		fh.CreatorVersion, fh.ReaderVersion = 20, 20
		fh.ModifiedDate, fh.ModifiedTime = msDosTime(t)
		dst, err = zw.CreateRaw(fh)
	} else {
		// Over 4 GiB the sizes need zip64 fields, which archive/zip
		// writes correctly only in a data descriptor.
		fh.Modified = t
		dst, err = zw.CreateHeader(fh)
	}
	if err != nil {
		return err
	}
	n, err := io.Copy(dst, src)
	if err != nil {
		return err
	}
	if n != p.size() {
		return fmt.Errorf("copied %d bytes, expected %d", n, p.size())
	}
	return nil
}

// msDosTime encodes t as a zip MS-DOS date and time (two-second
// resolution, years 1980 to 2107).
func msDosTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}
