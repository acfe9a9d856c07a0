package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// statusRow is one source in `archivist status --json`.
type statusRow struct {
	Name           string     `json:"name"`
	URL            string     `json:"url"`
	Kind           string     `json:"kind"`
	Interval       string     `json:"interval"`
	Polls          int        `json:"polls"`
	LastPoll       *time.Time `json:"last_poll,omitempty"`
	LastOK         bool       `json:"last_poll_ok"`
	LastResult     string     `json:"last_result,omitempty"`
	LastHTTPStatus int        `json:"last_http_status,omitempty"`
	NextPoll       *time.Time `json:"next_poll,omitempty"`
	Found          int64      `json:"found"`
	Archived       int64      `json:"archived"`
	Pending        int64      `json:"pending"`
	Failed         int64      `json:"failed"`
	Robots         int64      `json:"blocked_by_robots"`
	LastNew        *time.Time `json:"last_new,omitempty"`
	UsualGap       string     `json:"usual_gap,omitempty"`
	Stalled        bool       `json:"stalled"`
	// Known is false for a configured source the daemon has not seen yet
	// (serve not started or not reloaded since it was added).
	Known bool `json:"known"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func runStatus(ctx context.Context, args []string, io IO) error {
	flags := newFlagSet("status", io, "[--data DIR] [--config FILE] [--json]")
	var c common
	c.register(flags)
	asJSON := flags.Bool("json", false, "print one JSON object: sources, queue and hosts in backoff")
	if rest, err := parseFlags(flags, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("status: unexpected argument %q", rest[0])
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(cfg.Data)
	if err != nil {
		return fmt.Errorf("data directory %q: %w", cfg.Data, err)
	}
	configured, err := allSources(cfg)
	if err != nil {
		return &UsageError{Msg: "status: " + err.Error()}
	}
	fr, err := openReadFrontier(ctx, cfg, dir, newLogger(cfg, io))
	var usage *UsageError
	if errors.As(err, &usage) {
		return usagef("status: %s", usage.Msg)
	}
	if err != nil {
		return fmt.Errorf("status: open frontier: %w", err)
	}
	defer fr.Close()
	stats, err := fr.SourceStats(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	now := time.Now()
	queue, err := fr.Stats(ctx, now)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	backoffs, err := fr.HostsInBackoff(ctx, now)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	rows := statusRows(stats, configured)
	stalled := 0
	for _, r := range rows {
		if r.Stalled {
			stalled++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Sources        []statusRow            `json:"sources"`
			Queue          frontier.QueueStats    `json:"queue"`
			HostsInBackoff []frontier.HostBackoff `json:"hosts_in_backoff"`
		}{rows, queue, backoffs}); err != nil {
			return err
		}
	} else {
		printStatus(io, rows, queue, backoffs, now)
	}
	if stalled > 0 {
		return &PartialError{Msg: fmt.Sprintf("status: %d of %d sources stalled: they have found nothing new for longer than their usual rhythm", stalled, len(rows))}
	}
	return nil
}

// statusRows joins the frontier's view of each source with the sources
// configured now, so a source added but not yet seen by the daemon shows.
func statusRows(stats []frontier.SourceStat, configured []config.Source) []statusRow {
	var rows []statusRow
	seen := map[string]bool{}
	for _, st := range stats {
		seen[st.Name] = true
		r := statusRow{
			Name: st.Name, URL: st.URL, Kind: st.Kind, Interval: config.FormatDuration(st.Interval), Polls: st.Polls,
			LastPoll: timePtr(st.LastPoll), LastOK: st.LastOK, LastResult: st.LastResult, LastHTTPStatus: st.LastHTTPStatus,
			NextPoll: timePtr(st.NextPoll), Found: st.Found, Archived: st.Archived, Pending: st.Pending, Failed: st.Failed,
			Robots: st.BlockedByRobots, LastNew: timePtr(st.LastNew), Stalled: st.Stalled, Known: true,
		}
		if st.UsualGap > 0 {
			r.UsualGap = config.FormatDuration(st.UsualGap.Round(time.Second))
		}
		rows = append(rows, r)
	}
	for _, s := range configured {
		if !seen[s.Name] {
			rows = append(rows, statusRow{Name: s.Name, URL: s.URL, Kind: s.Kind, Interval: config.FormatDuration(time.Duration(s.Interval))})
		}
	}
	return rows
}

func printStatus(io IO, rows []statusRow, q frontier.QueueStats, backoffs []frontier.HostBackoff, now time.Time) {
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tLAST POLL\tRESULT\tFOUND\tARCHIVED\tPENDING\tFAILED\tROBOTS\tLAST NEW\tFLAG")
	for _, r := range rows {
		last, result, lastNew, flag := "never", r.LastResult, "never", ""
		if r.LastPoll != nil {
			last = ago(now, *r.LastPoll)
			if !r.LastOK {
				result = "FAILED: " + result
			}
		}
		if r.LastNew != nil {
			lastNew = ago(now, *r.LastNew)
		}
		switch {
		case !r.Known:
			result, flag = "not polled yet (start or reload serve)", "NEW"
		case r.Stalled:
			flag = "STALLED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Name, r.Kind, last, clip(result, 40),
			r.Found, r.Archived, r.Pending, r.Failed, r.Robots, lastNew, flag)
	}
	tw.Flush()
	fmt.Fprintf(io.Out, "\nqueue: %d due, %d scheduled (retries, revisits, next polls), %d leased\n", q.Due, q.Scheduled, q.Leased)
	if len(backoffs) > 0 {
		var hs []string
		for _, b := range backoffs {
			hs = append(hs, fmt.Sprintf("%s until %s (%s)", b.Host, b.Until.UTC().Format("15:04:05"), b.Reason))
		}
		fmt.Fprintf(io.Out, "hosts in backoff: %s\n", strings.Join(hs, "; "))
	}
	for _, r := range rows {
		if r.Stalled {
			fmt.Fprintf(io.Out, "STALLED %s: nothing new since %s; it usually finds something every %s (polled every %s). Check the source URL and the last result.\n",
				r.Name, orNever(r.LastNew), orUnknown(r.UsualGap), r.Interval)
		}
	}
}

// ago prints how long before now t was, coarsely: "45s ago", "3m ago",
// "5h ago", "2d ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func orNever(t *time.Time) string {
	if t == nil {
		return "it was added"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func orUnknown(s string) string {
	if s == "" {
		return "(not known yet)"
	}
	return s
}
