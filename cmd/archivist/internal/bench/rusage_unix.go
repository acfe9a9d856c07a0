//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// selfCPU returns the CPU this process has used, all threads (getrusage).
func selfCPU() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}
	}
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}

// childUsage returns the CPU and peak resident set of an exited child.
func childUsage(ps *os.ProcessState) (cpuTimes, uint64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return cpuTimes{user: ps.UserTime(), sys: ps.SystemTime()}, 0
	}
	rss := uint64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		rss <<= 10 // kilobytes everywhere but macOS
	}
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}, rss
}
