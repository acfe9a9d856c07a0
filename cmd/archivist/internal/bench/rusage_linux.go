//go:build linux

package bench

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which package syscall does not
// name: the calling thread's usage alone.
const rusageThread = 1

// threadCPU returns the CPU the calling OS thread has used; the caller
// locks its goroutine to the thread.
func threadCPU() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return selfCPU()
	}
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}
