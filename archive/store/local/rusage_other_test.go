//go:build !unix

package local

// processCPU is not measured outside Unix; benchmarks then omit cpu-ms/op.
func processCPU() float64 { return 0 }
