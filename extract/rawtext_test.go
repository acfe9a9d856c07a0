package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// rawTextSeeds are pages whose markup puts a scanner that only looks for
// "<script" and "</script>" wrong: tags in attribute values, comments,
// RCDATA, escaped scripts, SVG and MathML, CDATA, framesets, pages cut
// off mid-tag.
var rawTextSeeds = []string{
	`<p>a<script>var x = "</p>";</script><p>b<style>p{color:red}</style>`,
	`<script><!-- document.write("<script>x</script>"); --></script><p>after</p><script>y</script>`,
	`<script>a = "<!--"; b = "<script>";</script><p>x</p><script>z</script>`,
	`<svg><style>p{}</style><script>alert(1)</script></svg><script>x</script>`,
	`<svg><foreignObject><p></svg><style><b>x</b></style><script>y</script>`,
	`<svg><path d="M0"/></svg><script>after svg</script><style>b{}</style>`,
	`<svg><g></div></svg><script>x</script>`,
	`<svg><p>x</p><script>y</script></svg><script>z</script>`,
	`<svg/><script>x</script>`,
	`<svg a=/><script>x</script></svg><script>y</script>`,
	`<math><mi><script>x</script></mi></math><script>y</script>`,
	`<math><annotation-xml encoding="text/html"><style>a</style></annotation-xml></math>`,
	`<title><script>x</script></title><script>y</script>`,
	`<textarea><style>t</style></textarea ><script>y</script>`,
	`<a title="<script>">x</a><script>y</script>`,
	`<a title='>'<script>y</script><b>z</b>`,
	`<a b=c>d<script>y</script><a b=c/>e<style>f</style>`,
	`<a =x ==y a"b='c' d = e f=>g<script>y</script>`,
	`<!-- <script> --><script>y</script>`,
	`<!--><script>x</script><!---><script>y</script>`,
	`<!-- --!><script>x</script><!-- --!-><script>y</script>--><script>z</script>`,
	`<!DOCTYPE html><script>x</script>`,
	`<!doctype><script>x</script><!x><script>y</script>`,
	`<![CDATA[<script>]]><script>x</script>`,
	`<svg><![CDATA[<script>]]></svg><script>x</script>`,
	`<frameset><script>x</script></frameset>`,
	`<plaintext><script>x</script>`,
	`<script/>x</script><style/>y</style>`,
	`<SCRIPT type="application/LD+JSON">{"a":1}</SCRIPT><script>x</script>`,
	`<script type="application/ld&#43;json">{"@type":"NewsArticle"}</script>`,
	`<table><script>x</script><tr><td>y<style>z</style></table>`,
	`<select><style>a{}</style><option>x</select><script>y</script>`,
	`<noscript><script>x</script></noscript><script>y</script>`,
	`<style>a{}</style   ><p>x<style>b</style/>`,
	`<script>x</scripty></script><p>after</p>`,
	`<script>x</SCRIPT\n><p>after</p>`,
	`</ a><script>x</script></><script>y</script>`,
	`<? pi ><script>x</script>`,
	`<div a=/><script>x</script>`,
	`<iframe><script>x</iframe><script>y</script>`,
	`<xmp><script>x</xmp><noembed><style></noembed><noframes><script></noframes><script>z</script>`,
	`<head><script>h</script></head><body><script>b</script></body></html><script>after html</script>`,
	`<template><script>t</script><style>s</style></template>`,
	`<p><script>unterminated`,
	`<p><script src=x>`,
	`<p><scr`,
	`<p a="unterminated`,
	`<!-- unterminated <script>x</script>`,
	`<p></`,
	`<p><`,
	"<p>\x00<script>\x00</script>\r\n<style>\r</style>",
}

// TestElideRawTextTree parses each page as sent and with elideRawText
// applied: the trees must be equal but for the text of <script> and
// <style> elements, which may only be missing, never changed, and must
// be there for JSON-LD.
func TestElideRawTextTree(t *testing.T) {
	for i, s := range rawTextSeeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkElidedTree(t, []byte(s))
			checkSameExtraction(t, []byte(s))
		})
	}
	golden, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "input.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range golden {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkElidedTree(t, body)
		checkSameExtraction(t, body)
	}
	if testing.Short() {
		return
	}
	for _, p := range loadRealPages(t) {
		checkElidedTree(t, decode(p.html, ""))
		checkSameExtraction(t, p.html)
	}
}

// TestElideRawTextDrops checks that the elision happens where it can:
// without it the tests above would pass on a no-op.
func TestElideRawTextDrops(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<p>a<script>var x = 1;</script><style>p{}</style><p>b`, `<p>a<script></script><style></style><p>b`},
		{`<script type="application/ld+json">{"a":1}</script><script src="x.js">y</script>`, `<script type="application/ld+json">{"a":1}</script><script src="x.js"></script>`},
		{`<svg><path/></svg><script>x</script>`, `<svg><path/></svg><script></script>`},
		{`<title><script>x</script></title><script>y</script>`, `<title><script>x</script></title><script></script>`},
		{`<script>a</script><svg><style>x</style></svg><script>b</script>`, `<script></script><svg><style>x</style></svg><script>b</script>`},
		{`<p>no scripts</p>`, `<p>no scripts</p>`},
	}
	for _, c := range cases {
		if got := string(elideRawText([]byte(c.in))); got != c.want {
			t.Errorf("elideRawText(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzElideRawText(f *testing.F) {
	for _, s := range rawTextSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		checkElidedTree(t, page)
		checkSameExtraction(t, page)
	})
}

func checkElidedTree(t *testing.T, page []byte) {
	t.Helper()
	orig := string(page)
	elided := elideRawText(page)
	if string(page) != orig {
		t.Fatalf("elideRawText modified its input")
	}
	want, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return // over the parser's nesting limit: Extract fails before eliding matters
	}
	got, err := html.Parse(bytes.NewReader(elided))
	if err != nil {
		t.Fatalf("the elided page does not parse: %v\npage: %q", err, clip(page))
	}
	if why := sameTreeButRawText(want, got); why != "" {
		t.Fatalf("the elided page parses to another tree: %s\npage:   %q\nelided: %q", why, clip(page), clip(elided))
	}
}

// checkSameExtraction extracts the page with and without the elision: the
// results must be the same.
func checkSameExtraction(t *testing.T, page []byte) {
	t.Helper()
	opts := Options{URL: "https://example.com/news/2025/07/08/story", FetchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	want, wantErr := extract(page, opts, false)
	got, gotErr := extract(page, opts, true)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("errors differ: %v without eliding, %v with\npage: %q", wantErr, gotErr, clip(page))
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w, g) {
		t.Fatalf("eliding script and style text changed the result\npage: %q\nwithout: %s\nwith:    %s", clip(page), w, g)
	}
}

func clip(b []byte) []byte {
	if len(b) > 400 {
		return b[:400]
	}
	return b
}

// sameTreeButRawText compares two trees, allowing an HTML <script> or
// <style> element of got to lack the text of want's, unless it is JSON-LD.
func sameTreeButRawText(want, got *html.Node) string {
	if want.Type != got.Type || want.Data != got.Data || want.Namespace != got.Namespace {
		return fmt.Sprintf("node %q (type %d) became %q (type %d)", want.Data, want.Type, got.Data, got.Type)
	}
	if fmt.Sprint(want.Attr) != fmt.Sprint(got.Attr) {
		return fmt.Sprintf("<%s> attributes %v became %v", want.Data, want.Attr, got.Attr)
	}
	if want.Type == html.ElementNode && want.Namespace == "" && (want.Data == "script" || want.Data == "style") && got.FirstChild == nil {
		if strings.Contains(strings.ToLower(attr(want, "type")), "ld+json") && want.FirstChild != nil {
			return "a JSON-LD script lost its text"
		}
		for c := want.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.TextNode {
				return fmt.Sprintf("<%s> lost a child that is not text", want.Data)
			}
		}
		return ""
	}
	w, g := want.FirstChild, got.FirstChild
	for ; w != nil && g != nil; w, g = w.NextSibling, g.NextSibling {
		if why := sameTreeButRawText(w, g); why != "" {
			return why
		}
	}
	if w != nil || g != nil {
		return fmt.Sprintf("<%s> has another number of children", want.Data)
	}
	return ""
}
