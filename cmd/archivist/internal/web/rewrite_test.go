package web

import (
	"strings"
	"testing"
)

func TestRewriteHTML(t *testing.T) {
	in := "<html><head><base href=\"https://cdn.test/assets/\"><link rel=stylesheet href=\"site.css\">" +
		"<meta http-equiv=\"Refresh\" content=\"0;URL='https://news.test/next'\"></head>" +
		"<body class=x onclick=\"evil()\"><p>caf\xe9 cr\xe8me</p>" + // windows-1252 bytes, kept as they are
		"<a href=\"/story?id=1#top\" ping=\"https://tracker.test/\">s</a><a href=\"#local\">l</a><a href=\"mailto:a@b.test\">m</a>" +
		"<img src=\"data:image/png;base64,AAAA\"><img srcset=\"a.jpg 1x, https://img.test/b.jpg 2x\">" +
		"<a href=\" JavaScript:alert(1)\">j</a><script src=\"//cdn.test/x.js\"></script><br/></body></html>"
	out := string(rewriteHTML([]byte(in), "https://news.test/2025/page", "20250708100000", "<div id=b></div>"))
	for _, want := range []string{
		`<link rel="stylesheet" href="/web/20250708100000id_/https://cdn.test/assets/site.css">`,
		`content="0;URL=/web/20250708100000/https://news.test/next"`,
		`<body class="x"><div id=b></div>`,
		"<p>caf\xe9 cr\xe8me</p>",
		`<a href="/web/20250708100000/https://cdn.test/story?id=1#top">s</a>`,
		`<a href="#local">l</a>`, `<a href="mailto:a@b.test">m</a>`,
		`<img src="data:image/png;base64,AAAA">`,
		`srcset="/web/20250708100000id_/https://cdn.test/assets/a.jpg 1x, /web/20250708100000id_/https://img.test/b.jpg 2x"`,
		`<a href="#">j</a>`,
		`<script src="/web/20250708100000id_/https://cdn.test/x.js"></script>`,
		`<br/>`, // untouched tags are copied as they were
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rewritten page lacks %s\n%s", want, out)
		}
	}
	for _, bad := range []string{"onclick", "ping=", "<base href"} {
		if strings.Contains(out, bad) {
			t.Errorf("rewritten page keeps %s", bad)
		}
	}
}
