package extract

import (
	"strings"
	"testing"
	"time"
)

func TestDecideWall(t *testing.T) {
	long := strings.Repeat("<p>The council met on Tuesday evening and discussed the budget, the new library and the bus routes at length.</p>", 30)
	teaser := `<p>Four developers have made offers for the last empty parcel on the harbourfront, and the bidding has already passed $180 million, three people familiar with the talks said on Thursday.</p><p>The port authority plans to pick a buyer before the end of June, and the city council must then approve the sale.</p>`
	declared := `<script type="application/ld+json">{"@type":"NewsArticle","isAccessibleForFree":false,"hasPart":{"@type":"WebPageElement","isAccessibleForFree":false,"cssSelector":".paywall"}}</script><meta property="og:type" content="article">`
	cases := []struct {
		name, head, body string
		want             bool
		reason           string
	}{
		{"declared, part missing, short", declared, "<article>" + teaser + "</article>", true, "part behind the wall (.paywall) is not in the page"},
		{"declared, part present", declared, `<article><div class="paywall">` + teaser + teaser + `</div></article>`, false, ""},
		{"declared, text complete", declared, "<article>" + long + "</article>", false, ""},
		{"prompt at the end", `<meta property="og:type" content="article">`, "<article>" + teaser + "<p>Subscribe now to continue reading.</p></article>", true, "subscription prompt"},
		{"prompt in a paywall box", `<meta property="og:type" content="article">`, "<article>" + teaser + `</article><div id="regwall-modal"><h3>You have reached your limit of free articles</h3></div>`, true, "paywall element"},
		{"hidden paywall box on a long story", `<meta property="og:type" content="article">`, "<article>" + long + `</article><div class="paywall-modal">Subscribe to continue reading</div>`, false, ""},
		{"locked content tier", `<meta property="article:content_tier" content="locked"><meta property="og:type" content="article">`, "<article>" + teaser + "</article>", true, "article:content_tier: locked"},
		{"free short story", `<meta property="og:type" content="article">`, "<article>" + teaser + "</article>", false, ""},
		{"consent form", "", `<div><h1>Before you continue</h1><p>We use cookies and data to deliver our services. If you accept all, we will also use cookies to show personalised ads.</p><p>Select Reject all to decline, or Manage privacy settings for more options.</p></div>`, true, "consent wall"},
		{"story about cookies", `<meta property="og:type" content="article">`, "<article>" + long + "<p>Regulators say sites that use cookies must let visitors reject all of them as easily as they accept all.</p></article>", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Extract(storyHTML(c.head, c.body), Options{URL: testURL, FetchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			a := res.Article
			if a.Paywalled != c.want || !strings.Contains(a.PaywallReason, c.reason) {
				t.Errorf("paywalled %v (%q), want %v with %q; %d words", a.Paywalled, a.PaywallReason, c.want, c.reason, a.WordCount)
			}
		})
	}
}

func TestParseSimpleSelector(t *testing.T) {
	cases := map[string]string{
		".paywall":             "tag= id= classes=[paywall]",
		"#body.locked.x":       "tag= id=body classes=[locked x]",
		"section.article-body": "tag=section id= classes=[article-body]",
		"div p":                "unsupported",
		".a > .b":              "unsupported",
		"[data-x]":             "unsupported",
		".":                    "unsupported",
		"":                     "unsupported",
	}
	for in, want := range cases {
		sel, ok := parseSimpleSelector(in)
		got := "unsupported"
		if ok {
			got = "tag=" + sel.tag + " id=" + sel.id + " classes=[" + strings.Join(sel.classes, " ") + "]"
		}
		if got != want {
			t.Errorf("parseSimpleSelector(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestForeignName(t *testing.T) {
	cases := map[string]string{
		"comment-list":              "comments",
		"post-comments":             "comments",
		"disqus_thread":             "comments",
		"related-stories clearfix":  "related stories",
		"right-rail sidebar":        "a sidebar",
		"has-comments entry":        "",
		"commentary-body":           "",
		"article-body":              "",
		"most_popular":              "related stories",
		"no-sidebar single-article": "",
	}
	for in, want := range cases {
		if got := foreignName(in); got != want {
			t.Errorf("foreignName(%q) = %q, want %q", in, got, want)
		}
	}
}
