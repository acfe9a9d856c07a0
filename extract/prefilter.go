package extract

import (
	"regexp"
	"strings"
)

// Go's regular expressions are slow on case-insensitive alternations and
// on patterns that can start anywhere, and a few of them ran on every
// link, byline and heading of a page. Each guard below is a cheap test
// that a match needs (a literal the pattern cannot match without), so
// skipping the expression when the guard fails never changes a result.

// mayContainFold reports whether s may match a case-insensitive pattern
// that needs one of the lowercase ASCII literals. Go's (?i) also folds
// 's' with U+017F (ſ), which strings.ToLower leaves alone; strings.ToLower
// handles the other fold, U+212A (Kelvin sign) to 'k'.
func mayContainFold(s string, literals ...string) bool {
	if strings.ContainsRune(s, 'ſ') {
		return true
	}
	lower := strings.ToLower(s)
	for _, l := range literals {
		if strings.Contains(lower, l) {
			return true
		}
	}
	return false
}

// mayEndWithFold is mayContainFold for a pattern anchored at the end.
func mayEndWithFold(s string, literals ...string) bool {
	if strings.ContainsRune(s, 'ſ') {
		return true
	}
	lower := strings.ToLower(s)
	for _, l := range literals {
		if strings.HasSuffix(lower, l) {
			return true
		}
	}
	return false
}

func hasASCIIDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// hasDigitRun reports whether s holds n or more ASCII digits in a row,
// which is what `\d{n,}` matches (\d is ASCII in Go).
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

// mayHoldYear reports whether s holds "19" or "20" followed by two digits,
// which urlDatePattern needs.
func mayHoldYear(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if (s[i] == '1' && s[i+1] == '9' || s[i] == '2' && s[i+1] == '0') && isDigit(s[i+2]) && isDigit(s[i+3]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// findDateCut is authorDateCut.FindStringIndex: every alternative of the
// pattern needs a digit or one of the words below.
func findDateCut(s string) []int {
	if !hasASCIIDigit(s) && !mayContainFold(s, "updated", "published", "posted", "modified", "day") {
		return nil
	}
	return authorDateCut.FindStringIndex(s)
}

// replaceIf is re.ReplaceAllString(s, repl) when s holds one of the
// characters the pattern needs, s itself otherwise.
func replaceIf(re *regexp.Regexp, s, needs, repl string) string {
	if !strings.ContainsAny(s, needs) {
		return s
	}
	return re.ReplaceAllString(s, repl)
}
