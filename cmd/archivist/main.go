// Command archivist archives news articles: it crawls news sources, keeps
// every capture as WARC with clean text, metadata and provenance, and lets
// researchers list, search, retrieve, verify and export what it kept.
//
// main only maps errors to exit codes; cli.Run does the work.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/archivist-project/archivist/cmd/archivist/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, GOMAXPROCS: runtime.GOMAXPROCS, SetGCPercent: debug.SetGCPercent})
	stop()
	os.Exit(cli.ExitCode(err, os.Stderr))
}
