package cli

import (
	"fmt"
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

func TestCrawlGC(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   string
		wired bool
		want  []int // calls of SetGCPercent
	}{
		{"raised", "", true, []int{crawlGCPercent}},
		{"operator's GOGC stands", "50", true, nil},
		{"operator's GOGC=off stands", "off", true, nil},
		{"not wired (in-process tests)", "", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []int
			io := IO{Getenv: func(k string) string {
				if k == "GOGC" {
					return tc.env
				}
				return ""
			}}
			if tc.wired {
				io.SetGCPercent = func(n int) int {
					calls = append(calls, n)
					return 100
				}
			}
			crawlGC(io, slog.New(slog.DiscardHandler))
			if fmt.Sprint(calls) != fmt.Sprint(tc.want) {
				t.Fatalf("SetGCPercent calls %v, want %v", calls, tc.want)
			}
		})
	}
}
