//go:build !linux

package bench

// threadCPU falls back to the process's CPU where no per-thread figure
// exists; the probe then also counts the harness's other threads.
func threadCPU() cpuTimes { return selfCPU() }
