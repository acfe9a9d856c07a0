package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// chainOf returns the version chain of a page, with what changed as the
// provenance records say (they see the modified date too).
func chainOf(ctx context.Context, a *archiveEnv, key string) ([]versions.Version, error) {
	chain, err := versions.Chain(ctx, a.catalog, key)
	if err != nil {
		return nil, err
	}
	err = versions.RecordedChanges(ctx, chain, func(ctx context.Context, id string) (*archive.Provenance, error) {
		s, err := capture.Load(ctx, a.store, id)
		if err != nil {
			return nil, err
		}
		return s.Provenance, nil
	})
	return chain, err
}

// printVersions lists the version chain of a page (`get URL --versions`).
func printVersions(ctx context.Context, a *archiveEnv, rawURL, key string, asJSON bool, io IO) error {
	chain, err := chainOf(ctx, a, key)
	if err != nil {
		return fmt.Errorf("get --versions: %w", err)
	}
	if len(chain) == 0 {
		return &PartialError{Msg: fmt.Sprintf("get --versions: no capture of %s in %s (try `archivist list --host HOST` to see what is archived)", rawURL, a.dir)}
	}
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		for _, v := range chain {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FETCHED (UTC)\tCAPTURE\tKIND\tVERSION\tCHANGED\tTITLE")
	for _, v := range chain {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", v.FetchedAt.UTC().Format("2006-01-02 15:04:05"), v.CaptureID, v.Kind, v.Content, describeChange(v), clip(v.Title, 50))
	}
	tw.Flush()
	contents := chain[len(chain)-1].Content
	fmt.Fprintf(io.Err, "%d captures, %d versions of the content\n", len(chain), contents)
	return nil
}

// describeChange says in a few words what a capture changed.
func describeChange(v versions.Version) string {
	switch {
	case v.Changed == nil:
		return "first capture"
	case len(v.Changed) > 0:
		return strings.Join(v.Changed, ", ")
	case v.Kind == versions.KindRevisit:
		return "nothing (identical payload)"
	}
	return "nothing (new payload, same content)"
}

func runDiff(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("diff", io, "URL [--from T] [--to T] [--words] [--context N] [--json]")
	var c common
	c.register(fs)
	from := fs.String("from", "", "the older version: the capture nearest this time, or a capture id (default: the content version before --to)")
	to := fs.String("to", "", "the newer version: the capture nearest this time, or a capture id (default: the latest)")
	words := fs.Bool("words", false, "show changed paragraphs word by word: [-removed-] {+added+}")
	contextN := fs.Int("context", 1, "unchanged paragraphs shown around each change")
	asJSON := fs.Bool("json", false, "print the two versions and the difference as one JSON object")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usagef("diff: give exactly one URL")
	}
	if _, err := urlnorm.Normalize(rest[0]); err != nil {
		return usagef("diff: %v", err)
	}
	if *contextN < 0 {
		return usagef("diff: --context must not be negative")
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	chain, err := chainOf(ctx, a, urlnorm.Key(rest[0]))
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	if len(chain) == 0 {
		return &PartialError{Msg: fmt.Sprintf("diff: no capture of %s in %s (try `archivist list --host HOST` to see what is archived)", rest[0], a.dir)}
	}
	older, newer, err := pickVersions(chain, *from, *to)
	if err != nil {
		return err
	}
	if older.CaptureID == "" {
		fmt.Fprintf(io.Out, "%s has one version of its content (%d captures, the latest %s): nothing to compare\n", rest[0], len(chain), newer.CaptureID)
		return nil
	}
	oldS, err := capture.LoadCurrent(ctx, a.store, older.CaptureID)
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	newS, err := capture.LoadCurrent(ctx, a.store, newer.CaptureID)
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	d := versions.Diff(oldS.Article, newS.Article)
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			From versions.Version    `json:"from"`
			To   versions.Version    `json:"to"`
			Diff versions.Difference `json:"diff"`
		}{older, newer, d})
	}
	fmt.Fprintf(io.Out, "--- %s  capture %s  (version %d)\n", older.FetchedAt.UTC().Format("2006-01-02 15:04:05 UTC"), older.CaptureID, older.Content)
	fmt.Fprintf(io.Out, "+++ %s  capture %s  (version %d)\n", newer.FetchedAt.UTC().Format("2006-01-02 15:04:05 UTC"), newer.CaptureID, newer.Content)
	_, err = io.Out.Write([]byte(d.Unified(*contextN, *words)))
	return err
}

// pickVersions chooses the two captures to compare. An empty older
// CaptureID means the chain has only one content version.
func pickVersions(chain []versions.Version, from, to string) (older, newer versions.Version, err error) {
	pick := func(flag, value string) (versions.Version, error) {
		for _, v := range chain {
			if v.CaptureID == value {
				return v, nil
			}
		}
		t, err := parseTime(value, false)
		if err != nil {
			return versions.Version{}, usagef("diff --%s: %v (or give a capture id from `archivist get URL --versions`)", flag, err)
		}
		v, _ := versions.At(chain, t)
		return v, nil
	}
	newer = chain[len(chain)-1]
	if to != "" {
		if newer, err = pick("to", to); err != nil {
			return
		}
	}
	if from != "" {
		older, err = pick("from", from)
		if err == nil && older.CaptureID == newer.CaptureID {
			err = usagef("diff: --from and --to pick the same capture %s", older.CaptureID)
		}
		if err == nil && older.FetchedAt.After(newer.FetchedAt) {
			older, newer = newer, older
		}
		return
	}
	// The last capture of the content version before newer's.
	var upTo []versions.Version
	for _, v := range chain {
		if !v.FetchedAt.After(newer.FetchedAt) {
			upTo = append(upTo, v)
		}
	}
	for i := len(upTo) - 1; i >= 0; i-- {
		if upTo[i].Content < newer.Content {
			return upTo[i], newer, nil
		}
	}
	return versions.Version{}, newer, nil
}
