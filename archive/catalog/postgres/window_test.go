package postgres

import (
	"testing"

	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
)

// TestSearchRankWindows runs the shared rank-window checks with windows
// of 4 matches, as the SQLite backend's test does.
func TestSearchRankWindows(t *testing.T) {
	c := openTemp(t)
	c.rankWindow = 4
	catalogtest.RankWindows(t, c)
}
