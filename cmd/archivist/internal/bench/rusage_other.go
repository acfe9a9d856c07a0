//go:build !unix

package bench

import "os"

// selfCPU is unknown without getrusage: stages then report no CPU.
func selfCPU() cpuTimes { return cpuTimes{} }

// childUsage returns what the platform tells of an exited child's CPU.
func childUsage(ps *os.ProcessState) (cpuTimes, uint64) {
	return cpuTimes{user: ps.UserTime(), sys: ps.SystemTime()}, 0
}
