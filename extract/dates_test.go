package extract

import (
	"net/url"
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
		times           []timeTag
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
		{name: "clock skew allowed", ld: ldInfo{published: "2025-07-10T08:00:00Z"}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-10T08:00:00Z"},
		{name: "no fetch time, no bound", ld: ldInfo{published: "2030-01-01T00:00:00Z"}, pageURL: plainURL,
			published: "2030-01-01T00:00:00Z"},
		{name: "modified before published skipped", ld: ldInfo{published: "2025-07-08T10:00:00Z", modified: "2025-07-01T00:00:00Z"},
			meta: map[string][]string{"article:modified_time": {"2025-07-08T12:00:00Z"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-08T10:00:00Z", mod: "2025-07-08T12:00:00Z"},
		{name: "meta name=date", meta: map[string][]string{"date": {"2025-07-06"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-06T00:00:00Z"},
		{name: "time itemprop", times: []timeTag{{value: "2025-07-03T08:00:00Z"}, {value: "2025-07-04T08:00:00Z", itemprop: "datepublished"}}, pageURL: plainURL, fetchedAt: fetched,
			published: "2025-07-04T08:00:00Z"},
		{name: "time in article header", times: []timeTag{{value: "2025-07-01"}, {value: "2025-07-03T08:00:00Z", inArticle: true}}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-03T08:00:00Z", publishedGuessd: true},
		{name: "url date last", meta: map[string][]string{"date": {"garbage"}}, pageURL: storyURL, fetchedAt: fetched,
			published: "2025-07-05T00:00:00Z", publishedGuessd: true},
		{name: "nothing", pageURL: plainURL, fetchedAt: fetched},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := &pageScan{meta: c.meta, times: c.times}
			if page.meta == nil {
				page.meta = map[string][]string{}
			}
			got := pickDates(page, c.ld, c.pageURL, c.fetchedAt)
			if show(got.published) != date(c.published) || show(got.modified) != date(c.mod) || got.publishedGuessed != c.publishedGuessd {
				t.Errorf("got published %s (guessed %v), modified %s; want %s (guessed %v), %s",
					show(got.published), got.publishedGuessed, show(got.modified), date(c.published), c.publishedGuessd, date(c.mod))
			}
		})
	}
}
