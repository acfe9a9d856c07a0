package extract

import (
	"fmt"
	"log/slog"
	"net/url"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// readResult is what the readability pass contributes.
type readResult struct {
	content *html.Node // the article body, nil when none was found
	title   string
	byline  string
}

// runReadability finds the article body. base is the page URL with
// <base href> applied: readability makes the body's links absolute
// against it, and they must match the page's links. It works on doc in place
// (ParseAndMutate rather than FromDocument, which first deep-copies the
// whole tree): the raw tree has already been read by scanDocument and is
// not needed afterwards. A panic inside the library is turned into an
// error, since pages are untrusted input.
func runReadability(doc *html.Node, base *url.URL) (res readResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = readResult{}, fmt.Errorf("find article body: readability failed: %v", r)
		}
	}()
	parser := readability.NewParser()
	// Kept classes let the renderer recognise page furniture (see
	// isMarkedBoilerplate).
	parser.KeepClasses = true
	// Extract reads the page's JSON-LD itself (parseJSONLD); the
	// library's own pass over it (a regexp over each block, then JSON
	// decoding) was 3 % of Extract's instructions. Without it the library
	// takes the title it drops from the body's headings and the byline
	// from the meta tags instead: on the 181 pages of ../shared/eval two
	// texts changed by one heading each, and F1 stayed 0.982.
	parser.DisableJSONLD = true
	// The library's default logger formats its Info records (and every
	// pass's attributes) into io.Discard; a discarding handler skips that
	// work.
	parser.Logger = slog.New(slog.DiscardHandler)
	article, err := parser.ParseAndMutate(doc, base)
	if err != nil {
		return readResult{}, fmt.Errorf("find article body: %w", err)
	}
	return readResult{content: article.Node, title: article.Title(), byline: article.Byline()}, nil
}
