//go:build !linux

package minioserver

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; there a
// crashed program can leave MinIO running.
func setParentDeathSignal(*exec.Cmd) {}
