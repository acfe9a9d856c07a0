//go:build unix

package extract

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures the process's CPU time (user and system, every
// thread) across a benchmark loop.
type cpuMeter struct{ start time.Duration }

func startCPU(b *testing.B) cpuMeter {
	b.Helper()
	return cpuMeter{start: processCPU(b)}
}

// report adds cpu-ms/page: CPU per operation, one page an operation.
func (m cpuMeter) report(b *testing.B) {
	b.Helper()
	used := processCPU(b) - m.start
	b.ReportMetric(float64(used)/float64(time.Millisecond)/float64(b.N), "cpu-ms/page")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
