package bench

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// The harness, the daemon's memory test and the hostile-page tests all
// read other processes' CPU and memory from /proc; these two functions
// are the one reader of each file. getrusage cannot stand in: it covers
// only this process and the children it has waited for.

// ProcCPU returns the user and system CPU time process pid has used so
// far, from /proc/PID/stat; false where /proc cannot tell (not Linux, or
// the process is gone).
func ProcCPU(pid int) (user, sys time.Duration, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name may hold spaces: fields count from its closing ')'.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	// Clock ticks are 100 a second on every Linux Go supports.
	const tick = 10 * time.Millisecond
	return time.Duration(utime) * tick, time.Duration(stime) * tick, true
}

// ProcMemory returns process pid's resident memory now (VmRSS) and at
// its peak (VmHWM), in bytes, from /proc/PID/status; false where /proc
// cannot tell.
func ProcMemory(pid int) (rss, peak uint64, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	var found int
	for line := range strings.SplitSeq(string(data), "\n") {
		name, v, _ := strings.Cut(line, ":")
		if name != "VmRSS" && name != "VmHWM" {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
		found++
	}
	return rss, peak, found == 2
}
