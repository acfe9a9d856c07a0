package extract

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

func TestDecode(t *testing.T) {
	const text = "Crème brûlée – “café” €5"
	cp1252, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	sjis, err := japanese.ShiftJIS.NewEncoder().String("日本語のニュース")
	if err != nil {
		t.Fatal(err)
	}
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("<p>" + text + "</p>")
	if err != nil {
		t.Fatal(err)
	}
	longComment := "<!--" + strings.Repeat("x", 3000) + "-->"
	cases := []struct {
		name, body, contentType, want string
	}{
		{"utf-8 bom", "\xEF\xBB\xBF<p>" + text, "", "<p>" + text},
		{"utf-16le bom", utf16le, "", "<p>" + text + "</p>"},
		{"http charset", "<p>" + cp1252, "text/html; charset=windows-1252", "<p>" + text},
		{"iso-8859-1 label means windows-1252", "<p>" + cp1252, "text/html; charset=ISO-8859-1", "<p>" + text},
		{"bom beats http charset", "\xEF\xBB\xBF" + text, "text/html; charset=windows-1252", text},
		{"meta charset", `<meta charset="windows-1252"><p>` + cp1252, "", `<meta charset="windows-1252"><p>` + text},
		{"meta http-equiv", `<meta http-equiv="Content-Type" content="text/html;charset=iso-8859-1"><p>` + cp1252, "", `<meta http-equiv="Content-Type" content="text/html;charset=iso-8859-1"><p>` + text},
		{"meta after a long comment", longComment + `<meta charset=windows-1252><p>` + cp1252, "", longComment + `<meta charset=windows-1252><p>` + text},
		{"meta shift_jis", `<meta charset="shift_jis"><p>` + sjis, "", `<meta charset="shift_jis"><p>日本語のニュース`},
		{"meta utf-16 means utf-8", `<meta charset="utf-16"><p>` + text, "", `<meta charset="utf-16"><p>` + text},
		{"undeclared valid utf-8", "<p>" + text, "", "<p>" + text},
		{"undeclared invalid utf-8 falls back to windows-1252", "<p>" + cp1252, "", "<p>" + text},
		{"declared utf-8 with bad bytes", "<p>caf\xe9 ok", "text/html; charset=utf-8", "<p>caf\uFFFD ok"},
		{"unknown charset label", "<p>" + text, "text/html; charset=x-made-up", "<p>" + text},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(decode([]byte(c.body), c.contentType)); got != c.want {
				t.Errorf("decode = %q, want %q", got, c.want)
			}
		})
	}
}

func TestHasMarkup(t *testing.T) {
	for s, want := range map[string]bool{
		"<html>":            true,
		"  <!doctype html>": true,
		"a < b and c > d":   false,
		"x <p>y":            true,
		"no tags here":      false,
		"</p>":              true,
		"":                  false,
	} {
		if got := hasMarkup([]byte(s)); got != want {
			t.Errorf("hasMarkup(%q) = %v, want %v", s, got, want)
		}
	}
}
