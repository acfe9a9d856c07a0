package extract

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPickCanonical(t *testing.T) {
	page := "https://news.example.com/politics/2025/07/08/senate-passes-budget-bill/"
	cases := []struct {
		name, canonical, ogURL, want string
	}{
		{"same page", page, "", page},
		{"relative", "/politics/2025/07/08/senate-passes-budget-bill/", "", page},
		{"site root dropped", "https://news.example.com/", "", ""},
		{"section dropped", "https://news.example.com/politics/", "", ""},
		{"root dropped, og:url used", "/", page + "?ref=og", page + "?ref=og"},
		{"amp parent kept", "https://news.example.com/politics/2025/07/08/senate-passes-budget-bill", "", "https://news.example.com/politics/2025/07/08/senate-passes-budget-bill"},
		{"other article on same site kept", "https://news.example.com/politics/budget-bill-passes-senate-after-long-night", "", "https://news.example.com/politics/budget-bill-passes-senate-after-long-night"},
		{"cross-site syndication kept", "https://www.reuters.com/world/us/senate-passes-budget-bill-2025-07-08/", "", "https://www.reuters.com/world/us/senate-passes-budget-bill-2025-07-08/"},
		{"cross-site root dropped", "https://www.reuters.com/", "", ""},
		{"not http dropped", "ftp://news.example.com/x", "", ""},
		{"fragment removed", page + "#comments", "", page},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &pageScan{canonical: c.canonical, meta: map[string][]string{}}
			if c.ogURL != "" {
				p.meta["og:url"] = []string{c.ogURL}
			}
			u := mustURL(t, page)
			if got := pickCanonical(p, u, u); got != c.want {
				t.Errorf("pickCanonical = %q, want %q", got, c.want)
			}
		})
	}
	home := mustURL(t, "https://news.example.com/")
	if got := pickCanonical(&pageScan{canonical: "/", meta: map[string][]string{}}, home, home); got != "https://news.example.com/" {
		t.Errorf("home page canonical to root: got %q", got)
	}
}

func TestStripSiteName(t *testing.T) {
	names := []string{"The Daily Planet", "dailyplanet.com", "dailyplanet"}
	cases := map[string]string{
		"Storm hits Metropolis | The Daily Planet":           "Storm hits Metropolis",
		"Storm hits Metropolis – DailyPlanet.com":            "Storm hits Metropolis",
		"The Daily Planet | Storm hits Metropolis":           "Storm hits Metropolis",
		"Storm hits Metropolis - Daily Planet":               "Storm hits Metropolis",
		"Storm hits Metropolis - Planet News":                "Storm hits Metropolis - Planet News",
		"Brexit - what happens next?":                        "Brexit - what happens next?",
		"The Daily Planet":                                   "The Daily Planet",
		"Storm hits Metropolis | Weather | The Daily Planet": "Storm hits Metropolis | Weather",
	}
	for in, want := range cases {
		if got := stripSiteName(in, names); got != want {
			t.Errorf("stripSiteName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrimaryLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"en":        "en",
		"en-US":     "en",
		"EN_gb":     "en",
		"pt-BR":     "pt",
		" de ":      "de",
		"fil":       "fil",
		"fr, en":    "fr",
		"und":       "",
		"x-klingon": "",
		"english":   "",
		"":          "",
		"12":        "",
	} {
		if got := primaryLanguage(in); got != want {
			t.Errorf("primaryLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickLanguageOrder(t *testing.T) {
	p := &pageScan{htmlLang: "", meta: map[string][]string{
		"content-language": {"de-DE"},
		"og:locale":        {"fr_FR"},
	}}
	lang := func(p *pageScan, ld ldInfo, h Hints, text string) (string, *Evidence) {
		return pickLanguage(p, ld, h, &Article{Text: text, WordCount: countWords(text)})
	}
	if got, _ := lang(p, ldInfo{language: "es"}, Hints{}, ""); got != "de" {
		t.Errorf("got %q, want de from content-language", got)
	}
	p.htmlLang = "nl"
	if got, _ := lang(p, ldInfo{}, Hints{}, ""); got != "nl" {
		t.Errorf("got %q, want nl from <html lang>", got)
	}
	if got, _ := lang(&pageScan{meta: map[string][]string{"og:locale": {"it_IT"}}}, ldInfo{}, Hints{}, ""); got != "it" {
		t.Errorf("got %q, want it from og:locale", got)
	}
	if got, ev := lang(&pageScan{meta: map[string][]string{}}, ldInfo{}, Hints{ContentLanguage: "pt-BR"}, ""); got != "pt" || ev.Source != "http:Content-Language" {
		t.Errorf("got %q from %q, want pt from the HTTP header", got, ev.Source)
	}
}

// A template's fixed lang="en" on a German page loses to the text, but
// only when the text plainly is German; English text full of names and
// numbers keeps its declaration.
func TestPickLanguageContradicted(t *testing.T) {
	german := strings.Repeat("Die Bundesregierung hat am Dienstag neue Maßnahmen angekündigt, um die Landwirte zu unterstützen, die von der Dürre im Süden des Landes betroffen sind. ", 4)
	page := &pageScan{htmlLang: "en", meta: map[string][]string{}}
	got, ev := pickLanguage(page, ldInfo{}, Hints{}, &Article{Text: german, WordCount: countWords(german)})
	if got != "de" || ev.Source != "text" {
		t.Fatalf("got %q from %q, want de from the text", got, ev.Source)
	}
	if c := ev.Candidates[0]; c.Source != "html:lang" || !strings.Contains(c.Rejected, "not in this language") {
		t.Errorf("the declaration should be rejected with the reason: %+v", c)
	}
	scores := strings.Repeat("Palm Bay 70, Rockledge 44. Tolivert 25 points. Davis 17 points. Burgher 10 points. Moore 3 points and 4 steals. ", 5)
	got, ev = pickLanguage(page, ldInfo{}, Hints{}, &Article{Text: scores, WordCount: countWords(scores)})
	if got != "en" || ev.Source != "html:lang" {
		t.Errorf("box scores: got %q from %q, want the declared en", got, ev.Source)
	}
}

func TestDetectLanguage(t *testing.T) {
	cases := map[string]string{
		"Le gouvernement a annoncé mardi une série de mesures pour soutenir les agriculteurs touchés par la sécheresse, qui a frappé le sud du pays pendant tout l'été.": "fr",
		"Die Bundesregierung hat am Dienstag neue Maßnahmen angekündigt, um die Landwirte zu unterstützen, die von der Dürre im Süden des Landes betroffen sind.":        "de",
		"El gobierno anunció el martes una serie de medidas para apoyar a los agricultores afectados por la sequía que golpeó el sur del país durante todo el verano.":   "es",
		"The government announced a series of measures on Tuesday to support farmers hit by the drought that struck the south of the country all summer long.":           "en",
		"Too short.": "",
	}
	for text, want := range cases {
		if got := detectLanguage(text); got != want {
			t.Errorf("detectLanguage(%.30q) = %q, want %q", text, got, want)
		}
	}
}

func TestPickTags(t *testing.T) {
	p := &pageScan{meta: map[string][]string{
		"article:tag":   {"Budget", "Senate"},
		"news_keywords": {"senate, Congress ,  , taxes"},
		"keywords":      {"Taxes,Politics"},
	}}
	got := pickTags(p, ldInfo{keywords: []string{"Politics", "Economy"}})
	want := []string{"Budget", "Senate", "Congress", "taxes", "Politics", "Economy"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pickTags = %q, want %q", got, want)
	}
}

func TestPickSiteName(t *testing.T) {
	p := &pageScan{meta: map[string][]string{"og:site_name": {"https://www.example.com"}}}
	got, ev := pickSiteName(p, ldInfo{publisher: "Example News |"})
	if got != "Example News" {
		t.Errorf("got %q, want the publisher with the separator trimmed", got)
	}
	if len(ev.Candidates) != 2 || ev.Candidates[0].Rejected != "a URL, not a name" || ev.Source != "json-ld:publisher.name" {
		t.Errorf("evidence: %+v", ev)
	}
}
