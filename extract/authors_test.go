package extract

import (
	"reflect"
	"testing"
)

func TestCleanAuthors(t *testing.T) {
	site := []string{"The Daily Planet", "dailyplanet.example", "dailyplanet"}
	cases := []struct {
		name   string
		raw    []string
		strict bool
		want   []string
	}{
		{"by prefix", []string{"By Lois Lane"}, false, []string{"Lois Lane"}},
		{"and split", []string{"By Lois Lane and Clark Kent"}, false, []string{"Lois Lane", "Clark Kent"}},
		{"comma and ampersand", []string{"Lois Lane, Clark Kent & Jimmy Olsen"}, false, []string{"Lois Lane", "Clark Kent", "Jimmy Olsen"}},
		{"role dropped", []string{"Lois Lane, Staff Writer"}, false, []string{"Lois Lane"}},
		{"role after dash", []string{"Perry White - Senior Editor"}, false, []string{"Perry White"}},
		{"date dropped", []string{"By Lois Lane | Updated July 8, 2025 at 9:41 AM"}, false, []string{"Lois Lane"}},
		{"numeric date dropped", []string{"Lois Lane 07/08/2025"}, false, []string{"Lois Lane"}},
		{"email dropped", []string{"Lois Lane lois@dailyplanet.example"}, false, []string{"Lois Lane"}},
		{"site name dropped", []string{"The Daily Planet", "DailyPlanet"}, false, nil},
		{"url dropped", []string{"https://www.facebook.com/lois.lane"}, false, nil},
		{"dedupe ignoring case", []string{"Lois Lane", "LOIS LANE", "lois lane"}, false, []string{"Lois Lane"}},
		{"wire service kept", []string{"By Reuters"}, false, []string{"Reuters"}},
		{"for the paper", []string{"Lois Lane for The Daily Planet"}, false, []string{"Lois Lane"}},
		{"german", []string{"Von Katrin Müller und Jens Becker"}, false, []string{"Katrin Müller", "Jens Becker"}},
		{"french", []string{"Par Hélène Lefèvre et Marc Dubois"}, false, []string{"Hélène Lefèvre", "Marc Dubois"}},
		{"middle initial not split", []string{"Sarah E. Needleman"}, false, []string{"Sarah E. Needleman"}},
		{"particles", []string{"Ana de la Cruz"}, true, []string{"Ana de la Cruz"}},
		{"strict drops prose", []string{"More stories by Lois"}, true, nil},
		{"only a role", []string{"Staff Reporter"}, false, nil},
		{"too long", []string{"This is not a name but a whole sentence about the author and her work"}, false, nil},
		{"parenthesised dropped", []string{"Lois Lane (Reuters)"}, false, []string{"Lois Lane"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := cleanAuthors(c.raw, site, c.strict)
			if len(got) == 0 && len(c.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("cleanAuthors(%q) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestPickAuthorsPrefersStructuredSources(t *testing.T) {
	page := &pageScan{
		meta:    map[string][]string{"author": {"Meta Person"}},
		bylines: []byline{{text: "By Visible Person", strong: true, source: "html:rel=author"}},
	}
	ld := ldInfo{authors: []ldAuthor{{name: "Ld Person"}, {name: "The Daily Planet", organization: true}}}
	got, ev := pickAuthors(page, ld, "", []string{"The Daily Planet"})
	if !reflect.DeepEqual(got, []string{"Ld Person"}) {
		t.Errorf("with JSON-LD: %q", got)
	}
	// Every source is evidence; the site's own name is rejected.
	wantEv := []Candidate{
		{Source: "json-ld:author", Value: "Ld Person"},
		{Source: "json-ld:author", Value: "The Daily Planet", Rejected: "no person's or agency's name in it"},
		{Source: "meta:author", Value: "Meta Person"},
		{Source: "html:rel=author", Value: "By Visible Person", Parsed: "Visible Person"},
	}
	if !reflect.DeepEqual(ev.Candidates, wantEv) || ev.Chosen != "Ld Person" || ev.Source != "json-ld:author" {
		t.Errorf("evidence = %+v (chosen %q from %q), want %+v", ev.Candidates, ev.Chosen, ev.Source, wantEv)
	}
	if got, _ := pickAuthors(page, ldInfo{}, "", nil); !reflect.DeepEqual(got, []string{"Meta Person"}) {
		t.Errorf("with meta: %q", got)
	}
	page.meta = map[string][]string{"author": {"https://example.com/people/x"}}
	if got, _ := pickAuthors(page, ldInfo{}, "", nil); !reflect.DeepEqual(got, []string{"Visible Person"}) {
		t.Errorf("with byline: %q", got)
	}
	if got, ev := pickAuthors(&pageScan{meta: map[string][]string{}}, ldInfo{}, "", nil); got == nil || len(got) != 0 || ev.Chosen != "" {
		t.Errorf("with nothing: %#v, want an empty non-nil list", got)
	}
}

func TestCleanAuthorsBylineQuirks(t *testing.T) {
	cases := []struct {
		raw  string
		want []string
	}{
		{"TOM KRISHER, AP Auto Writer", []string{"TOM KRISHER"}},
		{"Tom Davies Associated Press", []string{"Tom Davies"}},
		{"Associated Press", []string{"Associated Press"}},
		{"Mike Wuerthele and Malcolm Owen Monday, November 18, 2019", []string{"Mike Wuerthele", "Malcolm Owen"}},
		{"Finian Cunningham. Sputnik International", []string{"Finian Cunningham", "Sputnik International"}},
		{"Текст: Венера Ерофеева", []string{"Венера Ерофеева"}},
		{"Name", nil},
	}
	for _, c := range cases {
		got := cleanAuthors([]string{c.raw}, nil, false)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("cleanAuthors(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestCleanAuthorsSuffixesAndCredentials(t *testing.T) {
	site := []string{"USA TODAY", "usatoday.com", "usatoday"}
	cases := []struct {
		raw  string
		want []string
	}{
		{"Kevin McCoy USA TODAY", []string{"Kevin McCoy"}},
		{"Ilana Muhlstein, MS, RDN", []string{"Ilana Muhlstein"}},
		{"Chris Cillizza, CNN Editor-at-large", []string{"Chris Cillizza"}},
		{"By", nil},
		{"Staff Reports", nil},
	}
	for _, c := range cases {
		got := cleanAuthors([]string{c.raw}, site, false)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("cleanAuthors(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}
