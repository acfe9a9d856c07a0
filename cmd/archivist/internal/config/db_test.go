package config

import (
	"strings"
	"testing"
)

// TestDBSetting: db is empty (SQLite) or a PostgreSQL URL; anything else
// is refused with the line and what to write.
func TestDBSetting(t *testing.T) {
	for _, tc := range []struct {
		yaml, err string
	}{
		{"db: ''\n", ""},
		{"db: postgres://archivist@db.internal:5432/archivist\n", ""},
		{"db: postgresql://archivist@db.internal/archivist?sslmode=require\n", ""},
		{"data: x\ndb: mysql://root@db/archive\n", "db (line 2): must be empty (SQLite in the data directory) or a postgres://"},
		{"db: /var/lib/archivist/catalog.db\n", "must be empty (SQLite in the data directory) or a postgres://"},
	} {
		c := Default()
		if err := Parse([]byte(tc.yaml), &c); err != nil {
			t.Fatalf("Parse(%q): %v", tc.yaml, err)
		}
		err := c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tc.yaml, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Validate(%q) = %v, want an error containing %q", tc.yaml, err, tc.err)
		}
	}
}
