package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on every Linux the project runs on).
const clockTicks = 100

// cpuMeter measures the CPU time (user and system) of this process and of
// the PostgreSQL server together: on a machine shared with other work,
// wall time per op says little, and most of a frontier call's CPU is the
// server's. The server's is read from /proc: the postmaster's own time,
// the time of the backends and workers it has reaped, and the time of its
// live children.
type cpuMeter struct {
	postmaster int
}

// newCPUMeter finds the server's postmaster through a backend's parent.
// It returns nil where /proc cannot tell (not Linux, another machine's
// server); the benchmark then reports wall time only.
func newCPUMeter(ctx context.Context, pool *pgxpool.Pool) *cpuMeter {
	var backend int
	if err := pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return nil
	}
	f, err := procStat(backend)
	if err != nil || len(f) < 2 {
		return nil
	}
	pm, err := strconv.Atoi(f[1]) // the parent, after the state field
	if err != nil {
		return nil
	}
	return &cpuMeter{postmaster: pm}
}

// procStat returns the fields of /proc/PID/stat after the command name
// (which may hold spaces): state, ppid, ...; utime is [11], stime [12],
// cutime [13], cstime [14].
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(s[i+1:]), nil
}

func ticks(fields []string, idx ...int) time.Duration {
	var n int64
	for _, i := range idx {
		if i < len(fields) {
			v, _ := strconv.ParseInt(fields[i], 10, 64)
			n += v
		}
	}
	return time.Duration(n) * time.Second / clockTicks
}

// now returns the CPU time used so far by this process and the server.
func (m *cpuMeter) now(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if m == nil {
		return total
	}
	pm, err := procStat(m.postmaster)
	if err != nil {
		b.Fatalf("read the server's CPU time: %v", err)
	}
	total += ticks(pm, 11, 12, 13, 14)
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	parent := strconv.Itoa(m.postmaster)
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		// A child that exits between the two reads is missed; its time
		// shows in the postmaster's cutime at the next read.
		if f, err := procStat(pid); err == nil && len(f) > 12 && f[1] == parent {
			total += ticks(f, 11, 12)
		}
	}
	return total
}

// report reports the CPU time per op since began, and per unit when
// units is not zero.
func (m *cpuMeter) report(b *testing.B, began time.Duration, units int, unit string) {
	cpu := m.now(b) - began
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if units > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(units), "cpu-µs/"+unit)
	}
}
