package export

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"os"
	"slices"
)

// sortBufferBytes bounds the lines a lineSorter holds before it writes a
// sorted run to disk: a CDXJ index of a million captures is about 300 MB.
const sortBufferBytes = 32 << 20

// lineSorter sorts text lines in bytewise order (as `LC_ALL=C sort` does,
// which is what CDXJ readers binary-search by) in bounded memory: lines
// are buffered, sorted and spilled to scratch files in runs, and the runs
// are merged at the end.
type lineSorter struct {
	lines   []string
	size    int
	limit   int // bytes buffered before a spill
	runs    []*os.File
	scratch func() (*os.File, error)
}

func newLineSorter(scratch func() (*os.File, error)) *lineSorter {
	return &lineSorter{scratch: scratch, limit: sortBufferBytes}
}

func (s *lineSorter) add(line string) error {
	s.lines = append(s.lines, line)
	s.size += len(line) + 16
	if s.size >= s.limit {
		return s.spill()
	}
	return nil
}

// spill writes the buffered lines, sorted, to a new run.
func (s *lineSorter) spill() error {
	slices.Sort(s.lines)
	f, err := s.scratch()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	for _, l := range s.lines {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: write sort run: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: sort run: %w", err)
	}
	s.runs = append(s.runs, f)
	clear(s.lines)
	s.lines, s.size = s.lines[:0], 0
	return nil
}

// writeTo writes every line, sorted, one a line, to w.
func (s *lineSorter) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if len(s.runs) == 0 {
		slices.Sort(s.lines)
		for _, l := range s.lines {
			bw.WriteString(l)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
	if len(s.lines) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	h := &runHeap{}
	for _, f := range s.runs {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		if sc.Scan() {
			heap.Push(h, runHead{line: sc.Text(), sc: sc})
		} else if err := sc.Err(); err != nil {
			return fmt.Errorf("export: read sort run: %w", err)
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		bw.WriteString(top.line)
		bw.WriteByte('\n')
		if top.sc.Scan() {
			(*h)[0].line = top.sc.Text()
			heap.Fix(h, 0)
		} else {
			if err := top.sc.Err(); err != nil {
				return fmt.Errorf("export: read sort run: %w", err)
			}
			heap.Pop(h)
		}
	}
	return bw.Flush()
}

type runHead struct {
	line string
	sc   *bufio.Scanner
}

type runHeap []runHead

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].line < h[j].line }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(runHead)) }
func (h *runHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
