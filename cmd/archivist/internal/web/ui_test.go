package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// checkAccessible checks what every UI page must have: a language, a
// viewport for phones, a main landmark, a label for every form field,
// and no script or external resource.
func checkAccessible(t *testing.T, name, page string) {
	t.Helper()
	for _, want := range []string{`<html lang="en">`, `name="viewport"`, `<main id="main"`, `<nav aria-label=`, `href="#main"`} {
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %s", name, want)
		}
	}
	for _, m := range regexp.MustCompile(`<(?:input|select)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(page, `<label for="`+m[1]+`"`) {
			t.Errorf("%s: field %s has no label", name, m[1])
		}
	}
	if strings.Contains(page, "<script") || regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).MatchString(page) {
		t.Errorf("%s loads a script or an external resource", name)
	}
}

func TestUIPages(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options()).URL

	resp, body := get(t, srv+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	checkAccessible(t, "search page", string(body))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("UI CSP %q", csp)
	}

	_, body = get(t, srv+"/search?q="+url.QueryEscape(`"judicial review"`)+"&lang=fr")
	page := string(body)
	checkAccessible(t, "results page", page)
	if !strings.Contains(page, `<a href="/capture/`+f.ids["ruling"]+`">Ottawa ruling awaits judicial review</a>`) || !strings.Contains(page, "<mark>judicial review</mark>") {
		t.Errorf("results page lacks the hit or its marked snippet:\n%s", page)
	}
	if !strings.Contains(page, `id="f-lang" name="lang" value="fr"`) {
		t.Error("results page does not keep the filter the search used")
	}
	_, body = get(t, srv+"/search?q=court&limit=2")
	if !strings.Contains(string(body), `rel="next"`) {
		t.Error("first page of 2 hits of 5 has no next-page link")
	}
	resp, body = get(t, srv+"/search?q=court&since=someday")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "since") {
		t.Errorf("bad filter: status %d", resp.StatusCode)
	}

	// The article page: text, metadata, provenance, links, versions.
	_, body = get(t, srv+"/capture/"+f.ids["story2"])
	page = string(body)
	checkAccessible(t, "article page", page)
	for _, want := range []string{
		"<h1>Hikvision challenges Canada&#39;s shutdown order in court</h1>",
		"<p>A hearing date has not been set, the court registry said on Tuesday evening.</p>",
		"Ana Ruiz", "Payload SHA-256", f.entry(t, "story2").PayloadSHA256, "robots.txt",
		`href="/web/20250708110000/` + storyURL + `"`, `href="/web/20250708110000id_/` + storyURL + `"`,
		`id="diff-prev"`, "(this capture)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("article page lacks %q", want)
		}
	}
	_, body = get(t, srv+"/capture/"+f.ids["story3"])
	if !strings.Contains(string(body), "Revisit of") {
		t.Error("a revisit's page does not say what it revisits")
	}

	// Versions and diff pages.
	_, body = get(t, srv+"/versions?url="+url.QueryEscape(storyURL))
	page = string(body)
	checkAccessible(t, "versions page", page)
	if strings.Count(page, `<a href="/capture/`) != 3 || !strings.Contains(page, "nothing (identical payload)") || !strings.Contains(page, ">Diff</a>") {
		t.Errorf("versions page:\n%s", page)
	}
	resp, _ = get(t, srv+"/web/*/"+storyURL)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/versions?url=") {
		t.Errorf("/web/*/URL: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, srv+"/diff?url="+url.QueryEscape(storyURL))
	page = string(body)
	checkAccessible(t, "diff page", page)
	for _, want := range []string{
		"<del>Hikvision takes Canada to court</del>",
		"<ins>Hikvision challenges Canada&#39;s shutdown order in court</ins>",
		`<p class="added"><ins>A hearing date has not been set`,
		"changed headline, body",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("diff page lacks %q", want)
		}
	}
	resp, body = get(t, srv+"/diff?url=http://never.test/")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no capture") {
		t.Errorf("diff of an unknown page: %d", resp.StatusCode)
	}
	resp, _ = get(t, srv+"/no/such/page")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
}

func TestEvidenceAndSnippetRendering(t *testing.T) {
	ev := map[string]any{"published": []any{map[string]any{"source": "json-ld", "value": "<b>2025</b>"}}, "authors": nil}
	got := string(evidenceHTML(ev))
	want := "<dl><dt>authors</dt><dd>—</dd><dt>published</dt><dd><ul><li><dl><dt>source</dt><dd>json-ld</dd><dt>value</dt><dd>&lt;b&gt;2025&lt;/b&gt;</dd></dl></li></ul></dd></dl>"
	if got != want {
		t.Errorf("evidenceHTML:\n got %s\nwant %s", got, want)
	}
	if got := string(snippetHTML("a [court] <b> [x")); got != "a <mark>court</mark> &lt;b&gt; [x" {
		t.Errorf("snippetHTML = %q", got)
	}
}
