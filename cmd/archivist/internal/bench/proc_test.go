package bench_test

import (
	"crypto/sha256"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/bench"
)

// TestProcReaders reads this process's CPU and memory from /proc: the
// CPU must grow with work done, the peak must cover what is resident, and
// a process that does not exist must read as unknown, not as zero.
func TestProcReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	pid := os.Getpid()
	user0, sys0, ok := bench.ProcCPU(pid)
	if !ok {
		t.Fatal("ProcCPU of this process: not available")
	}
	// Half a second of hashing: 50 clock ticks, well above their 10 ms.
	sum := sha256.Sum256(nil)
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; {
		sum = sha256.Sum256(sum[:])
	}
	user1, sys1, ok := bench.ProcCPU(pid)
	if !ok || user1+sys1-user0-sys0 < 200*time.Millisecond {
		t.Errorf("CPU after 0.5 s of hashing grew by %s (ok %v), want most of 0.5 s", user1+sys1-user0-sys0, ok)
	}
	rss, peak, ok := bench.ProcMemory(pid)
	if !ok || rss == 0 || peak < rss {
		t.Errorf("ProcMemory = rss %d, peak %d, ok %v: want 0 < rss <= peak", rss, peak, ok)
	}
	const gone = 1 << 22 // pid_max is at most 1<<22 and pids stay below it
	if _, _, ok := bench.ProcCPU(gone); ok {
		t.Errorf("ProcCPU(%d) of no process = ok", gone)
	}
	if _, _, ok := bench.ProcMemory(gone); ok {
		t.Errorf("ProcMemory(%d) of no process = ok", gone)
	}
}
