package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// sourcesFile is the layout of DATA/sources.yaml, where `archivist
// sources add` keeps the sources added from the command line.
type sourcesFile struct {
	Sources []Source `yaml:"sources"`
}

// sourcesHeader starts every sources file written by Archivist.
const sourcesHeader = "# Sources added with `archivist sources add`; `archivist sources remove NAME` removes one.\n" +
	"# Same keys as the sources section of the config file. A running `archivist serve` reloads on SIGHUP.\n"

// ParseSources reads a sources file: unknown keys, bad values and
// duplicate names are errors that name the line. Defaults are filled in.
func ParseSources(data []byte) ([]Source, error) {
	var f sourcesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%v (the file holds `sources:` and a list with the keys of the config's sources section)", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i := range f.Sources {
		f.Sources[i].fillDefaults()
	}
	lines := indexLines(data)
	var errs []error
	validateSources(f.Sources, "sources", func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Line: lines.line(field), Msg: fmt.Sprintf(format, args...)})
	})
	return f.Sources, errors.Join(errs...)
}

// MarshalSources encodes sources as a sources file, leaving out fields
// at their default so the file stays short.
func MarshalSources(sources []Source) ([]byte, error) {
	out := make([]Source, len(sources))
	for i, s := range sources {
		if s.Kind == DefaultSourceKind {
			s.Kind = ""
		}
		if s.Interval == Duration(DefaultSourceInterval) {
			s.Interval = 0
		}
		if s.MaxHops != nil && *s.MaxHops == DefaultSourceMaxHops {
			s.MaxHops = nil
		}
		if s.Revisit != nil && *s.Revisit {
			s.Revisit = nil
		}
		out[i] = s
	}
	var b bytes.Buffer
	b.WriteString(sourcesHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(sourcesFile{Sources: out}); err != nil {
		return nil, fmt.Errorf("encode sources: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode sources: %w", err)
	}
	return b.Bytes(), nil
}

// MergeSources joins the config file's sources and the data directory's;
// a name in both is an error, since it is not clear which one is meant.
func MergeSources(fromConfig, fromData []Source) ([]Source, error) {
	names := map[string]bool{}
	out := make([]Source, 0, len(fromConfig)+len(fromData))
	for _, s := range fromConfig {
		names[s.Name] = true
		out = append(out, s)
	}
	var dups []string
	for _, s := range fromData {
		if names[s.Name] {
			dups = append(dups, s.Name)
			continue
		}
		out = append(out, s)
	}
	if len(dups) > 0 {
		return out, fmt.Errorf("sources %s are in both the config file and the data directory's sources file: remove one (`archivist sources remove NAME` removes the data directory's)", strings.Join(dups, ", "))
	}
	return out, nil
}
