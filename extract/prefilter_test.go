package extract

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var prefilterSeeds = []string{
	"", "By Jane Doe", "Jane Doe, Reuters", "Tom Davies Associated Press", "Tom Davies ASSOCIATED PRESS",
	"Updated Aug. 3, 2025 10:45", "Posted on Monday", "poſted", "Jane Doe for The Times", "Jane (staff)",
	"jane@example.com", "Page not found", "404", "Error", "Seite nicht gefunden", "exiſt", "Page Unavailable",
	"/news/2025/07/08/story", "/2019-12-story", "/article/123456", "/a/1234", "JANE DOE. SPUTNIK", "KELVIN \u212a",
}

// TestPrefilters holds each guard in prefilter.go to what it promises: when
// it says no, the expression it guards does not match.
func TestPrefilters(t *testing.T) {
	for _, s := range prefilterSeeds {
		checkPrefilters(t, s)
	}
}

func FuzzPrefilters(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	f.Fuzz(checkPrefilters)
}

var longDigitsRE = regexp.MustCompile(`\d{5,}`)

func checkPrefilters(t *testing.T, s string) {
	if got, want := findDateCut(s), authorDateCut.FindStringIndex(s); !slices.Equal(got, want) {
		t.Errorf("findDateCut(%q) = %v, want %v", s, got, want)
	}
	if got, want := hasDigitRun(s, 5), longDigitsRE.MatchString(s); got != want {
		t.Errorf("hasDigitRun(%q) = %v, want %v", s, got, want)
	}
	if !mayHoldYear(s) && urlDatePattern.MatchString("/"+s+"/") {
		t.Errorf("mayHoldYear(%q) is false but urlDatePattern matches", s)
	}
	if !mayContainFold(s, notFoundWords...) && notFoundTitle.MatchString(strings.TrimSpace(s)) {
		t.Errorf("mayContainFold(%q, notFoundWords) is false but notFoundTitle matches", s)
	}
	if !mayEndWithFold(s, authorAgencies...) && authorAgency.MatchString(s) {
		t.Errorf("mayEndWithFold(%q, authorAgencies) is false but authorAgency matches", s)
	}
	for _, g := range []struct {
		re    *regexp.Regexp
		needs string
	}{{authorEmail, "@"}, {authorParens, "(["}, {authorSentenceEnd, "."}} {
		if got, want := replaceIf(g.re, s, g.needs, "X"), g.re.ReplaceAllString(s, "X"); got != want {
			t.Errorf("replaceIf(%v, %q) = %q, want %q", g.re, s, got, want)
		}
	}
	if !strings.Contains(s, "for") && !strings.Contains(s, "special to") && authorFor.MatchString(s) {
		t.Errorf("authorFor matches %q without its literals", s)
	}
}
