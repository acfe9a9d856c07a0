package bench_test

import (
	"crypto/sha256"
	"os"
	"runtime"
	"syscall"
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
	// Hash until getrusage says this process used 300 ms more CPU, then
	// /proc must say so too (to its 10 ms ticks). CPU, not wall time: a
	// loaded machine gives a loop less CPU than its wall time.
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	sum := sha256.Sum256(nil)
	for start, deadline := rusage(), time.Now().Add(time.Minute); rusage()-start < 300*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatal("300 ms of CPU not had in a minute")
		}
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	user1, sys1, ok := bench.ProcCPU(pid)
	if !ok || user1+sys1-user0-sys0 < 250*time.Millisecond {
		t.Errorf("CPU after 300 ms of hashing (getrusage) grew by %s in /proc (ok %v)", user1+sys1-user0-sys0, ok)
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
