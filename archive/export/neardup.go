package export

import (
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// Near-duplicate detection: MinHash over word 4-shingles (Broder 1997),
// kept as b-bit signatures (Li and König 2010, b = 8) and paired by
// locality-sensitive hashing over bands of the signature.
//
// Why this and not a library: the exports must run in near-constant memory
// over millions of rows, so each row may keep only a few dozen bytes.
// github.com/ekzhu/minhash-lsh keeps full 64-bit minima (K × 8 bytes a
// row) plus its bucket maps; a 64-bit SimHash is small but only finds
// copies within a few bits, far tighter than a wire story carried with
// another headline, dateline and a trimmed paragraph. A b-bit MinHash
// signature of 64 one-byte minima estimates the Jaccard resemblance of
// two texts' shingle sets to about ±0.06 in 64 bytes.
//
// The threshold separates "the same story" from "the same topic". On the
// five stories of ../shared/seed/topic-page-example.txt (one news event,
// five outlets) the 4-shingle resemblances are at most 0.20 (a Reuters
// dispatch and a different Reuters dispatch carried by the Business Times,
// which share three background paragraphs) and 0.12 (two stories quoting
// the same company statement); a syndicated copy with its own headline,
// dateline, sign-off and a dropped paragraph stays above 0.7. Pairs at or
// above 0.5 are the same text.
const (
	shingleWords = 4
	sigBytes     = 64
	// bandRows minima form one LSH band: two texts become candidates when
	// any band matches. With 21 bands of 3, a pair of resemblance 0.5 is
	// examined with probability 0.94 and one of 0.6 with 0.994, while
	// unrelated texts collide in about 1 band in a million.
	bandRows = 3
	bands    = sigBytes / bandRows
	// NearDupThreshold is the estimated Jaccard resemblance at or above
	// which two texts are near-duplicates.
	NearDupThreshold = 0.5
	// minShingles: texts shorter than this many shingles (11 words) are
	// never clustered; "Page not found" is not a syndicated story.
	minShingles = 8
	// maxLeaders bounds the comparisons inside one LSH bucket, so that a
	// thousand identical texts cost a thousand comparisons, not a million.
	maxLeaders = 8
	// chunkRows rows of signatures are allocated at a time, so growing
	// never copies what is already stored.
	chunkRows = 4096
)

// unknownPublished sorts captures without a publication date last.
const unknownPublished = int64(1<<63 - 1)

// nearDups collects one signature per row, in row order, then clusters
// them. It holds sigBytes+8 bytes and a bit per row; clustering adds 8
// bytes a row for the union-find and a transient 8 bytes a row per band.
type nearDups struct {
	chunks    [][]byte  // sigBytes per row
	published [][]int64 // unix seconds, unknownPublished when absent; chunkRows per chunk
	none      []uint64  // bit set: row has too little text to cluster
	n         int
	seeds     [sigBytes]uint64
}

func newNearDups() *nearDups {
	d := &nearDups{}
	s := uint64(0x61726368697669) // "archivi": fixed, so signatures never change between runs
	for i := range d.seeds {
		s = splitmix64(s)
		d.seeds[i] = s | 1 // odd multipliers make a·h a permutation of 64-bit values
	}
	return d
}

// add appends the signature of one row's text.
func (d *nearDups) add(text string, published *time.Time) {
	i := d.n
	d.n++
	if i%chunkRows == 0 {
		d.chunks = append(d.chunks, make([]byte, chunkRows*sigBytes))
		d.published = append(d.published, make([]int64, 0, chunkRows))
	}
	if i%64 == 0 {
		d.none = append(d.none, 0)
	}
	p := unknownPublished
	if published != nil {
		p = published.Unix()
	}
	d.published[i/chunkRows] = append(d.published[i/chunkRows], p)
	if !d.signature(text, d.sig(i)) {
		d.none[i/64] |= 1 << (i % 64)
	}
}

func (d *nearDups) publishedAt(i int) int64 { return d.published[i/chunkRows][i%chunkRows] }

func (d *nearDups) sig(i int) []byte {
	off := (i % chunkRows) * sigBytes
	return d.chunks[i/chunkRows][off : off+sigBytes]
}

func (d *nearDups) hasSig(i int) bool { return d.none[i/64]&(1<<(i%64)) == 0 }

// signature writes the b-bit MinHash of text into sig; false when the text
// has fewer than minShingles shingles.
func (d *nearDups) signature(text string, sig []byte) bool {
	var (
		mins   [sigBytes]uint64
		window [shingleWords]uint64
		words  int
		count  int
	)
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	eachWord(text, func(h uint64) {
		window[words%shingleWords] = h
		words++
		if words < shingleWords {
			return
		}
		// The shingle's hash combines its words in order.
		var sh uint64 = 0x9e3779b97f4a7c15
		for k := range shingleWords {
			sh = (sh ^ window[(words+k)%shingleWords]) * 0x100000001b3
		}
		sh = fmix64(sh)
		for j, a := range d.seeds {
			if v := a*sh + uint64(j); v < mins[j] {
				mins[j] = v
			}
		}
		count++
	})
	if count < minShingles {
		return false
	}
	for j, m := range mins {
		// One byte of a mix of the minimum: the minimum's own high bits
		// are biased towards zero.
		sig[j] = byte(fmix64(m))
	}
	return true
}

// eachWord calls fn with a hash of each word of text: runs of letters and
// digits, lower-cased, so punctuation, case and spacing changes between
// outlets do not matter.
func eachWord(text string, fn func(uint64)) {
	const offset, prime = 0xcbf29ce484222325, 0x100000001b3
	h, inWord := uint64(offset), false
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			r = unicode.ToLower(r)
			var buf [utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], r)
			for _, b := range buf[:n] {
				h = (h ^ uint64(b)) * prime
			}
			inWord = true
			continue
		}
		if inWord {
			fn(h)
			h, inWord = offset, false
		}
	}
	if inWord {
		fn(h)
	}
}

// similarity estimates the Jaccard resemblance of rows i and j from their
// b-bit signatures: equal bytes occur with probability J + (1-J)/256.
func (d *nearDups) similarity(i, j int) float64 {
	a, b := d.sig(i), d.sig(j)
	eq := 0
	for k := range a {
		if a[k] == b[k] {
			eq++
		}
	}
	const chance = 1.0 / 256
	return (float64(eq)/sigBytes - chance) / (1 - chance)
}

// clusters groups the rows into clusters of near-duplicates and returns
// them. Every row is in exactly one cluster; a row with no near-duplicate
// is a cluster of its own.
func (d *nearDups) clusters() *clusters {
	c := &clusters{parent: make([]int32, d.n)}
	for i := range c.parent {
		c.parent[i] = int32(i)
	}
	keys := make([]uint64, 0, d.n)
	var leaders []int
	for band := range bands {
		keys = keys[:0]
		for i := range d.n {
			if !d.hasSig(i) {
				continue
			}
			s := d.sig(i)[band*bandRows:]
			key := uint64(s[0])<<16 | uint64(s[1])<<8 | uint64(s[2])
			keys = append(keys, key<<32|uint64(i))
		}
		slices.Sort(keys)
		for start := 0; start < len(keys); {
			end := start + 1
			for end < len(keys) && keys[end]>>32 == keys[start]>>32 {
				end++
			}
			leaders = leaders[:0]
			for _, k := range keys[start:end] {
				i := int(uint32(k))
				joined := false
				for _, l := range leaders {
					if d.similarity(l, i) >= NearDupThreshold {
						c.union(l, i)
						joined = true
						break
					}
				}
				if !joined && len(leaders) < maxLeaders {
					leaders = append(leaders, i)
				}
			}
			start = end
		}
	}
	keys = nil
	c.finish(d.publishedAt)
	return c
}

// clusters is the outcome of clustering: for each row, its cluster's
// first row (the cluster id) and the row kept by --dedupe.
type clusters struct {
	// parent is a union-find forest while clustering; after finish, the
	// first (lowest) row of each row's cluster.
	parent []int32
	// keep is, for a cluster's first row, the row kept by --dedupe: the
	// earliest published, then the earliest captured.
	keep []int32
	// multiRoot marks (a bit per row) the first rows of clusters with more
	// than one row.
	multiRoot []uint64
	count     int // number of clusters
	inMulti   int // rows that have at least one near-duplicate
}

func (c *clusters) find(i int) int {
	for int(c.parent[i]) != i {
		c.parent[i] = c.parent[c.parent[i]]
		i = int(c.parent[i])
	}
	return i
}

// union merges the clusters of a and b; the lower row becomes the root, so
// a cluster's root is always its first row.
func (c *clusters) union(a, b int) {
	ra, rb := c.find(a), c.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	c.parent[rb] = int32(ra)
}

func (c *clusters) finish(published func(int) int64) {
	c.keep = make([]int32, len(c.parent))
	c.multiRoot = make([]uint64, (len(c.parent)+63)/64)
	for i := range c.parent {
		r := c.find(i)
		c.parent[i] = int32(r)
		if r == i {
			c.count++
			c.keep[i] = int32(i)
			continue
		}
		c.multiRoot[r/64] |= 1 << (r % 64)
		// Rows arrive in capture order, so among equal publication times
		// the one already kept was captured first.
		if k := c.keep[r]; published(i) < published(int(k)) {
			c.keep[r] = int32(i)
		}
	}
	for i := range c.parent {
		if c.multi(i) {
			c.inMulti++
		}
	}
}

// multi reports whether row i has at least one near-duplicate.
func (c *clusters) multi(i int) bool {
	r := c.parent[i]
	return c.multiRoot[r/64]&(1<<(r%64)) != 0
}

// first returns the first row of row i's cluster.
func (c *clusters) first(i int) int { return int(c.parent[i]) }

// kept reports whether --dedupe keeps row i.
func (c *clusters) kept(i int) bool { return int(c.keep[c.parent[i]]) == i }

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fmix64 is MurmurHash3's finaliser: it spreads every input bit over the
// whole word.
func fmix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb53a185ec867
	x ^= x >> 33
	return x
}
