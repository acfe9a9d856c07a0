package bench

import (
	"os"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cpuTimes is the user and system CPU a process has used.
type cpuTimes struct{ user, sys time.Duration }

func (c cpuTimes) total() time.Duration { return c.user + c.sys }

func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.user - d.user, c.sys - d.sys} }

// Runtime metrics read around every measured window: cumulative, so a
// window's share is a difference, and read without stopping the world
// (runtime.ReadMemStats would, hundreds of times a run).
const (
	metricAllocBytes = "/gc/heap/allocs:bytes"
	metricAllocs     = "/gc/heap/allocs:objects"
	metricHeap       = "/memory/classes/heap/objects:bytes"
)

// snapshot is the process's counters at one instant.
type snapshot struct {
	at         time.Time
	cpu        cpuTimes
	allocBytes uint64
	allocs     uint64
}

func takeSnapshot() snapshot {
	s := []metrics.Sample{{Name: metricAllocBytes}, {Name: metricAllocs}}
	metrics.Read(s)
	return snapshot{at: time.Now(), cpu: selfCPU(), allocBytes: s[0].Value.Uint64(), allocs: s[1].Value.Uint64()}
}

// meter accumulates the cost of one stage over its measured windows.
type meter struct {
	wall       time.Duration
	cpu        cpuTimes
	allocBytes uint64
	allocs     uint64
	peakHeap   uint64
}

// measure runs fn as one window of the stage: CPU from getrusage, wall
// time, Go allocations and the peak of live heap objects (sampled).
func (m *meter) measure(hp *heapPeak, fn func() error) error {
	hp.reset()
	before := takeSnapshot()
	err := fn()
	after := takeSnapshot()
	m.wall += after.at.Sub(before.at)
	c := after.cpu.sub(before.cpu)
	m.cpu.user += c.user
	m.cpu.sys += c.sys
	m.allocBytes += after.allocBytes - before.allocBytes
	m.allocs += after.allocs - before.allocs
	m.peakHeap = max(m.peakHeap, hp.peak())
	return err
}

// heapPeak samples the live heap every few milliseconds, so a stage's
// peak is known without stopping the world to ask.
type heapPeak struct {
	max  atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

func startHeapPeak(every time.Duration) *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	h.done.Go(func() {
		s := []metrics.Sample{{Name: metricHeap}}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			metrics.Read(s)
			v := s[0].Value.Uint64()
			for cur := h.max.Load(); v > cur && !h.max.CompareAndSwap(cur, v); cur = h.max.Load() {
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	})
	return h
}

func (h *heapPeak) reset() {
	s := []metrics.Sample{{Name: metricHeap}}
	metrics.Read(s)
	h.max.Store(s[0].Value.Uint64())
}

func (h *heapPeak) peak() uint64 {
	s := []metrics.Sample{{Name: metricHeap}}
	metrics.Read(s)
	return max(h.max.Load(), s[0].Value.Uint64())
}

func (h *heapPeak) close() {
	close(h.stop)
	h.done.Wait()
}

// selfPeakRSS returns this process's peak resident set (VmHWM), 0 when
// /proc is not there.
func selfPeakRSS() uint64 {
	_, peak, _ := ProcMemory(os.Getpid())
	return peak
}

// rssPeaks is what watchPeakRSS saw of a process's peak resident set.
type rssPeaks struct {
	whole uint64 // over its whole run
	// firstHalf is the peak over the first half of its wall time: a
	// process whose memory does not grow with its work reaches its peak
	// early, and this is close to whole.
	firstHalf uint64
}

// watchPeakRSS polls a child's VmHWM until stop is closed (zeros without
// /proc). getrusage cannot tell it: Linux counts in a child's ru_maxrss
// the parent's memory it shared before exec, so a large harness would
// show as a large crawl.
func watchPeakRSS(pid int, stop <-chan struct{}) <-chan rssPeaks {
	out := make(chan rssPeaks, 1)
	go func() {
		start := time.Now()
		type reading struct {
			at  time.Duration
			hwm uint64
		}
		var rises []reading // each time the peak rose
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			// VmHWM only grows: the last reading before exit is the peak,
			// short of what the final 20 ms added.
			if _, v, ok := ProcMemory(pid); ok && (len(rises) == 0 || v > rises[len(rises)-1].hwm) {
				rises = append(rises, reading{time.Since(start), v})
			}
			select {
			case <-stop:
				var p rssPeaks
				half := time.Since(start) / 2
				for _, r := range rises {
					p.whole = r.hwm
					if r.at <= half {
						p.firstHalf = r.hwm
					}
				}
				out <- p
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// procCPU is ProcCPU as cpuTimes, for servers the harness starts but
// does not wait for (MinIO, the fixture site).
func procCPU(pid int) (cpuTimes, bool) {
	user, sys, ok := ProcCPU(pid)
	return cpuTimes{user: user, sys: sys}, ok
}

// loadAverage returns the 1-minute load average ("" without /proc): how
// busy the machine was, since others' work inflates wall times.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// cpuModel names the processor (Linux), for the report's machine facts.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
