package miniotest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill MinIO if the test binary dies
// without running its cleanups (a panic, a timeout, kill -9), so no server
// outlives the tests and holds ports or CPU. Linux ties the signal to the
// starting thread; the Go runtime keeps its threads alive, so this only
// fires when the test binary really exits.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
