package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/location"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
)

// Files inside a data directory.
const (
	stateFile   = "archivist.json" // remembers the store the archive lives in
	catalogFile = "catalog.db"
	localStore  = "store"
)

// common holds the flags every archive command takes.
type common struct {
	data       string
	configPath string
	logLevel   string
	db         string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "", "data directory (default $ARCHIVIST_DATA or ./archivist-data)")
	fs.StringVar(&c.configPath, "config", "", "YAML configuration file")
	fs.StringVar(&c.logLevel, "log-level", "", "log level: debug, info, warn, error (default info)")
	fs.StringVar(&c.db, "db", "", "catalog and frontier database: postgres://USER@HOST/DB (default $ARCHIVIST_DB, else SQLite in the data directory)")
}

// load builds the configuration: defaults, then the config file, then the
// environment and flags, then validation.
func (c *common) load(io IO) (config.Config, error) {
	cfg := config.Default()
	fileSetData := false
	if c.configPath != "" {
		var err error
		if cfg, err = config.Load(c.configPath); err != nil {
			return cfg, &UsageError{Msg: err.Error()}
		}
		fileSetData = cfg.Data != config.Default().Data
	}
	switch {
	case c.data != "":
		cfg.Data = c.data
	case !fileSetData && io.Getenv("ARCHIVIST_DATA") != "":
		cfg.Data = io.Getenv("ARCHIVIST_DATA")
	}
	if c.logLevel != "" {
		cfg.Log.Level = c.logLevel
	}
	switch {
	case c.db != "":
		cfg.DB = c.db
	case cfg.DB == "" && io.Getenv("ARCHIVIST_DB") != "":
		cfg.DB = io.Getenv("ARCHIVIST_DB")
	}
	if err := cfg.Validate(); err != nil {
		where := "settings"
		if c.configPath != "" {
			where = "config " + c.configPath
		}
		return cfg, usagef("%s: %v", where, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return cfg, nil
}

func newLogger(cfg config.Config, io IO) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(io.Err, opts))
	}
	return slog.New(slog.NewTextHandler(io.Err, opts))
}

// openExisting loads the configuration and opens the archive it names,
// which must exist: what every command that reads the archive starts with.
func (c *common) openExisting(ctx context.Context, io IO) (*archiveEnv, error) {
	cfg, err := c.load(io)
	if err != nil {
		return nil, err
	}
	return openArchive(ctx, cfg, "", false, io)
}

// state is what a data directory remembers about itself.
type state struct {
	Format int    `json:"format"`
	Store  string `json:"store"`
}

// archiveEnv is an open archive: its store and catalog.
type archiveEnv struct {
	cfg     config.Config
	dir     string
	store   store.Store
	catalog archiveCatalog
	log     *slog.Logger
}

func (a *archiveEnv) Close() error {
	var errs []error
	if a.catalog != nil {
		errs = append(errs, a.catalog.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// openArchive opens the archive in cfg.Data. With create, a missing data
// directory is created and bound to storeURL (or its own local store);
// without, a missing one is an error that says how to make one.
func openArchive(ctx context.Context, cfg config.Config, storeURL string, create bool, io IO) (*archiveEnv, error) {
	dir, err := filepath.Abs(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", cfg.Data, err)
	}
	st, err := readState(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		if storeURL == "" {
			storeURL = cfg.Store
		}
		if storeURL == "" {
			storeURL = "file://" + filepath.Join(dir, localStore)
		}
		st = state{Format: 1, Store: storeURL}
		if err := writeState(dir, st); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("no archive in %s: run `archivist crawl --data %s SEED_URL` first, or pass --data (or $ARCHIVIST_DATA) naming an existing archive", dir, cfg.Data)
	case err != nil:
		return nil, err
	default:
		want := storeURL
		if want == "" {
			want = cfg.Store
		}
		if want != "" && want != st.Store {
			return nil, usagef("data directory %s belongs to store %s, not %s: use another --data for another store", dir, location.Redact(st.Store), location.Redact(want))
		}
	}
	s, err := location.Open(ctx, st.Store, io.Getenv)
	if err != nil {
		return nil, fmt.Errorf("open store of %s: %w", dir, err)
	}
	log := newLogger(cfg, io)
	cat, err := openCatalog(ctx, cfg, dir, log)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	return &archiveEnv{cfg: cfg, dir: dir, store: s, catalog: cat, log: log}, nil
}

func readState(dir string) (state, error) {
	var st state
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Store == "" {
		return st, fmt.Errorf("data directory %s: %s is damaged (it must name the store, e.g. {\"format\":1,\"store\":\"file:///path\"})", dir, stateFile)
	}
	return st, nil
}

func writeState(dir string, st state) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	data, _ := json.MarshalIndent(st, "", "  ")
	return writeFileAtomic(filepath.Join(dir, stateFile), append(data, '\n'))
}

// writeFileAtomic writes a file by temp file, fsync and rename, so a crash
// leaves either the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
