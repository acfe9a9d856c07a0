//go:build !unix

package extract

import "testing"

// cpuMeter reports nothing where getrusage is missing: ns/op remains.
type cpuMeter struct{}

func startCPU(*testing.B) cpuMeter { return cpuMeter{} }

func (cpuMeter) report(*testing.B) {}
