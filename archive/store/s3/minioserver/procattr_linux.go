package minioserver

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill MinIO if the program that
// started it dies without stopping it (a panic, a test timeout, kill -9), so
// no server outlives it and holds ports or CPU. Linux ties the signal to the
// starting thread; the Go runtime keeps its threads alive, so this only
// fires when the program really exits.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
