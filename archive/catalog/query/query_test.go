package query

import (
	"reflect"
	"testing"
)

func terms(ss ...string) []Term {
	out := make([]Term, len(ss))
	for i, s := range ss {
		out[i] = Term{Text: s}
	}
	return out
}

// TestParse pins the structure every backend renders: groups ANDed, OR
// inside a group, exclusions apart, nothing unsearchable kept.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Expr
	}{
		{`election France OR Germany`, Expr{Groups: [][]Term{terms("election"), terms("France", "Germany")}}},
		{`"climate summit" -"vote counting" -fraud`, Expr{Groups: [][]Term{terms("climate summit")}, Excluded: terms("vote counting", "fraud")}},
		{`OR a OR ( b`, Expr{Groups: [][]Term{terms("a", "b")}}},
		{"zep\x00pelin", Expr{Groups: [][]Term{terms("zep"), terms("pelin")}}},
		{`-only -exclusions`, Expr{Excluded: terms("only", "exclusions")}},
		{`" ( ) * : ^ 😀`, Expr{}},
	} {
		got := Parse(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if !Parse("-a").Empty() || Parse("a").Empty() {
		t.Error("Empty: exclusions alone must be empty, a word not")
	}
}
