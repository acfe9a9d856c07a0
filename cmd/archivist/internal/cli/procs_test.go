package cli

import (
	"log/slog"
	"testing"
)

func TestCrawlProcs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     string
		wired   bool
		current int
		want    []int // calls of GOMAXPROCS
	}{
		{"doubled", "", true, 2, []int{0, 4}},
		{"one CPU", "", true, 1, []int{0, 2}},
		{"operator's GOMAXPROCS stands", "3", true, 2, nil},
		{"not wired (in-process tests)", "", false, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []int
			io := IO{Getenv: func(k string) string {
				if k == "GOMAXPROCS" {
					return tc.env
				}
				return ""
			}}
			if tc.wired {
				io.GOMAXPROCS = func(n int) int {
					calls = append(calls, n)
					return tc.current
				}
			}
			crawlProcs(io, slog.New(slog.DiscardHandler))
			if len(calls) != len(tc.want) {
				t.Fatalf("GOMAXPROCS calls %v, want %v", calls, tc.want)
			}
			for i := range calls {
				if calls[i] != tc.want[i] {
					t.Fatalf("GOMAXPROCS calls %v, want %v", calls, tc.want)
				}
			}
		})
	}
}
