package extract

import (
	"strings"
	"testing"
)

func para(text string, linkShare float64) paragraph {
	runes := len([]rune(strings.ReplaceAll(text, " ", "")))
	return paragraph{text: text, runes: runes, linkRunes: int(float64(runes) * linkShare), words: len(strings.Fields(text))}
}

const storyLine = "The council voted on Tuesday to approve the plan after a long debate that lasted well into the night, officials said."

func TestCleanParagraphs(t *testing.T) {
	cases := []struct {
		name  string
		title string
		in    []paragraph
		want  []string
	}{
		{"noise anywhere", "T", []paragraph{
			para(storyLine, 0), para("Advertisement", 0), para("Photo: Jane Doe / Getty Images", 0),
			para("Share Tweet Email", 0), para("Sign up for our daily newsletter to get the news in your inbox.", 0),
			para(storyLine+" Again.", 0), para("(Reporting by Jane Doe; Editing by John Roe)", 0), para("jane@news.example.com", 0),
		}, []string{storyLine, storyLine + " Again."}},
		{"link-only lines go, URLs stay", "T", []paragraph{
			para(storyLine, 0.1), para("Home", 1), para("https://example.org/source.pdf", 1), para(storyLine+" More.", 0),
		}, []string{storyLine, "https://example.org/source.pdf", storyLine + " More."}},
		{"header lines and title repeat", "Council approves plan", []paragraph{
			para("Breaking News", 0), para("Council approves plan", 0), para("By Jane Doe", 0),
			para("Updated 9:41 AM, July 8, 2025", 0), para(storyLine, 0), para(storyLine+" Two.", 0),
		}, []string{storyLine, storyLine + " Two."}},
		{"related box inside the story", "T", []paragraph{
			para(storyLine, 0), para(storyLine+" A.", 0), para(storyLine+" B.", 0),
			para("DON'T MISS", 0), para("Mayor resigns after scandal [INSIGHT]", 0.8), para("Storm warning issued [VIDEO]", 0.8),
			para(storyLine+" C.", 0),
		}, []string{storyLine, storyLine + " A.", storyLine + " B.", storyLine + " C."}},
		{"furniture after the story", "T", []paragraph{
			para(storyLine, 0), para(storyLine+" A.", 0), para(storyLine+" B.", 0),
			para("You may also like", 0), para("Another long teaser about something else entirely that happened elsewhere.", 0),
		}, []string{storyLine, storyLine + " A.", storyLine + " B."}},
		{"heading early in the story is kept", "T", []paragraph{
			para("Related", 0), para(storyLine, 0), para(storyLine+" A.", 0),
		}, []string{"Related", storyLine, storyLine + " A."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, p := range cleanParagraphs(c.in, c.title) {
				got = append(got, p.text)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestCountWords(t *testing.T) {
	for text, want := range map[string]int{
		"":                                 0,
		"one two  three":                   3,
		"don't stop, state-of-the-art 3.5": 4,
		"Crème brûlée, s'il vous plaît":    5,
		"日本語のニュース":                         8,
		"iPhone用 ケース":                      5,
		"한국어 뉴스 기사":                        3,
		"— … !!":                           0,
	} {
		if got := countWords(text); got != want {
			t.Errorf("countWords(%q) = %d, want %d", text, got, want)
		}
	}
}
