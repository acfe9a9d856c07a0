package extract

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	want := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-07-08T14:32:00-04:00", want("2025-07-08T18:32:00Z"), true},
		{"2025-07-08T14:32:00.123Z", want("2025-07-08T14:32:00.123Z"), true},
		{"2025-07-08T14:32:00+0200", want("2025-07-08T12:32:00Z"), true},
		{"2025-07-08T14:32:00", want("2025-07-08T14:32:00Z"), true},
		{"2025-07-08T14:32", want("2025-07-08T14:32:00Z"), true},
		{"2025-07-08 14:32:00", want("2025-07-08T14:32:00Z"), true},
		{"2025-07-08", want("2025-07-08T00:00:00Z"), true},
		{"2025/07/08", want("2025-07-08T00:00:00Z"), true},
		{"Tue, 08 Jul 2025 14:32:00 GMT", want("2025-07-08T14:32:00Z"), true},
		{"Tue, 8 Jul 2025 14:32:00 +0100", want("2025-07-08T13:32:00Z"), true},
		{"July 8, 2025", want("2025-07-08T00:00:00Z"), true},
		{"8 July 2025", want("2025-07-08T00:00:00Z"), true},
		{"20250708", want("2025-07-08T00:00:00Z"), true},
		{"  2025-07-08  ", want("2025-07-08T00:00:00Z"), true},
		{"0001-01-01T00:00:00Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, c := range cases {
		got, ok := parseDate(c.in)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("parseDate(%q) is in %v, want UTC", c.in, got.Location())
		}
	}
}

func TestPickDates(t *testing.T) {
	fetched := time.Date(2025, 7, 9, 12, 0, 0, 0, time.UTC)
	storyURL, _ := url.Parse("https://news.example.com/2025/07/05/some-story")
	plainURL, _ := url.Parse("https://news.example.com/some-story")
	date := func(s string) string {
		if s == "" {
			return "nil"
		}
		return s
	}
	show := func(p *time.Time) string {
		if p == nil {
			return "nil"
		}
		return p.Format(time.RFC3339)
	}
	cases := []struct {
		name            string
		ld              ldInfo
		meta            map[string][]string
		dates           []dateTag
		hints           Hints
		pageURL         *url.URL
		fetchedAt       time.Time
		published, mod  string
		publishedGuessd bool
	}{
		{name: "json-ld first", ld: ldInfo{published: "2025-07-08T10:00:00Z", modified: "2025-07-08T11:00:00Z"},
			meta: map[string][]string{"article:published_time": {"2025-07-07T10:00:00Z"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-08T10:00:00Z", mod: "2025-07-08T11:00:00Z"},
		{name: "future json-ld rejected", ld: ldInfo{published: "2025-09-01T00:00:00Z"},
			meta: map[string][]string{"article:published_time": {"2025-07-08T09:00:00Z"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-08T09:00:00Z"},
		{name: "an hour after the fetch is rejected", ld: ldInfo{published: "2025-07-09T13:00:00Z"}, pageURL: plainURL, fetchedAt: fetched},
		{name: "no fetch time, no bound", ld: ldInfo{published: "2030-01-01T00:00:00Z"}, pageURL: plainURL,
			published: "2030-01-01T00:00:00Z"},
		{name: "modified before published skipped", ld: ldInfo{published: "2025-07-08T10:00:00Z", modified: "2025-07-01T00:00:00Z"},
			meta: map[string][]string{"article:modified_time": {"2025-07-08T12:00:00Z"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-08T10:00:00Z", mod: "2025-07-08T12:00:00Z"},
		{name: "meta name=date", meta: map[string][]string{"date": {"2025-07-06"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-06T00:00:00Z"},
		{name: "microdata", dates: []dateTag{{value: "2025-07-03T08:00:00Z", inArticle: true}, {value: "2025-07-04T08:00:00Z", prop: "datepublished", scope: 1}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-04T08:00:00Z"},
		{name: "microdata of a comment rejected", dates: []dateTag{{value: "2025-07-04T08:00:00Z", prop: "datepublished", foreign: "inside a comment item"}}, pageURL: plainURL, fetchedAt: fetched},
		{name: "microdata of several stories rejected", dates: []dateTag{{value: "2025-07-04T08:00:00Z", prop: "datepublished", scope: 1}, {value: "2025-07-02T08:00:00Z", prop: "datepublished", scope: 2}}, pageURL: plainURL, fetchedAt: fetched},
		{name: "time in article header", dates: []dateTag{{value: "2025-07-01"}, {value: "2025-07-03T08:00:00Z", inArticle: true}}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-03T08:00:00Z", publishedGuessd: true},
		{name: "time of a related story skipped", dates: []dateTag{{value: "2025-07-01", inArticle: true, foreign: "inside related stories"}, {value: "2025-07-03T08:00:00Z", inArticle: true}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-03T08:00:00Z", publishedGuessd: true},
		{name: "feed date before a plain time", dates: []dateTag{{value: "2025-07-03T08:00:00Z", inArticle: true}}, hints: Hints{FeedDate: ptr(time.Date(2025, 7, 2, 6, 0, 0, 0, time.UTC))}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-02T06:00:00Z"},
		{name: "sitemap and http dates are modifications", hints: Hints{SitemapLastmod: ptr(time.Date(2025, 7, 9, 6, 0, 0, 0, time.UTC)), LastModified: "Wed, 09 Jul 2025 07:00:00 GMT"}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-05T00:00:00Z", publishedGuessd: true, mod: "2025-07-09T06:00:00Z"},
		{name: "http last-modified", hints: Hints{LastModified: "Wed, 09 Jul 2025 07:00:00 GMT"}, pageURL: plainURL, fetchedAt: fetched,
			mod: "2025-07-09T07:00:00Z"},
		{name: "http last-modified at the request is no edit", hints: Hints{LastModified: "Wed, 09 Jul 2025 11:59:30 GMT"}, pageURL: plainURL, fetchedAt: fetched},
		{name: "url date last", meta: map[string][]string{"date": {"garbage"}}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-05T00:00:00Z", publishedGuessd: true},
		{name: "nothing", pageURL: plainURL, fetchedAt: fetched},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := &pageScan{meta: c.meta, dates: c.dates}
			if page.meta == nil {
				page.meta = map[string][]string{}
			}
			got := pickDates(page, c.ld, c.pageURL, Options{FetchedAt: c.fetchedAt, Hints: c.hints})
			if show(got.published) != date(c.published) || show(got.modified) != date(c.mod) || got.publishedGuessed != c.publishedGuessd {
				t.Errorf("got published %s (guessed %v), modified %s; want %s (guessed %v), %s",
					show(got.published), got.publishedGuessed, show(got.modified), date(c.published), c.publishedGuessd, date(c.mod))
			}
			if got.evPublished.Chosen != strings.TrimSuffix(date(c.published), "nil") {
				t.Errorf("evidence chose %q, want %q", got.evPublished.Chosen, c.published)
			}
			if ev := got.evPublished; ev.Chosen != "" {
				found := false
				for _, cand := range ev.Candidates {
					found = found || (cand.Source == ev.Source && cand.Rejected == "" && (cand.Parsed == ev.Chosen || cand.Value == ev.Chosen))
				}
				if !found {
					t.Errorf("no accepted candidate from %q holds the chosen %q: %+v", ev.Source, ev.Chosen, ev.Candidates)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
