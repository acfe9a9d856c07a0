package extract

import (
	"testing"
	"unicode"
)

var spaceSeeds = []string{
	"", " ", "a", " a", "a ", "a  b", "a b", "a\tb", "a\u00a0b", "\u3000a", "a\u2028",
	"caf\xe9 ok", "\xff", "a \xff b", "Jane Doe", " Jane\n Doe ", "a\u0085b", "é è", "x\u200by",
}

func countVisibleSlow(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func TestSpaceHelpers(t *testing.T) {
	for _, s := range spaceSeeds {
		checkSpaceHelpers(t, s)
	}
}

func FuzzSpaceHelpers(f *testing.F) {
	for _, s := range spaceSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSpaceHelpers)
}

func checkSpaceHelpers(t *testing.T, s string) {
	if got, want := collapseSpace(s), collapseRunes(s); got != want {
		t.Errorf("collapseSpace(%q) = %q, want %q", s, got, want)
	}
	if got, want := countVisible(s), countVisibleSlow(s); got != want {
		t.Errorf("countVisible(%q) = %d, want %d", s, got, want)
	}
}

var nameCompareSeeds = [][2]string{
	{"The Hill", "thehill"}, {"USA TODAY", "usatoday"}, {"a", "b"}, {"", ""}, {"", "."}, {"İstanbul", "istanbul"},
	{"caf\xe9", "caf"}, {"Ab", "a"}, {"ΣΊΣΥΦΟΣ", "σίσυφοσ"}, {"ǅ", "ǆ"}, {"K", "\u212a"},
}

// TestSameName holds sameName to its definition on normalizeName.
func TestSameName(t *testing.T) {
	for _, c := range nameCompareSeeds {
		checkSameName(t, c[0], c[1])
	}
}

func FuzzSameName(f *testing.F) {
	for _, c := range nameCompareSeeds {
		f.Add(c[0], c[1])
	}
	f.Fuzz(checkSameName)
}

func checkSameName(t *testing.T, a, b string) {
	if got, want := sameName(a, b), normalizeName(a) == normalizeName(b); got != want {
		t.Errorf("sameName(%q, %q) = %v, want %v", a, b, got, want)
	}
	if !sameName(a, a) {
		t.Errorf("sameName(%q, itself) = false", a)
	}
}
