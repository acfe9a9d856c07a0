//go:build !linux

package miniotest

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; there a
// crashed test binary can leave MinIO running.
func setParentDeathSignal(*exec.Cmd) {}
