package versions

import (
	"fmt"
	"strings"
)

// Unified renders the difference as readable text in the style of a
// unified diff: the fields that changed, each with its old value on a "-"
// line and its new one on a "+" line, then the body in hunks of
// paragraphs ("@@ paragraphs 3-5 → 3-6 @@"), with context paragraphs
// around each change prefixed by two spaces. With wordLevel, a changed
// paragraph is one "~" line marking removed words [-like this-] and added
// ones {+like this+}, as `git diff --word-diff` does; otherwise it is a
// "-" line and a "+" line.
func (d Difference) Unified(context int, wordLevel bool) string {
	var b strings.Builder
	if len(d.Changed) == 0 {
		b.WriteString("changed: nothing (same headline, byline, dates and body)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "changed: %s\n", strings.Join(d.Changed, ", "))
	if d.Body != nil {
		s := d.Stats
		fmt.Fprintf(&b, "body: paragraphs %d changed, %d added, %d removed; words %d added, %d removed\n",
			s.ParagraphsChanged, s.ParagraphsAdded, s.ParagraphsRemoved, s.WordsAdded, s.WordsRemoved)
	}
	for _, f := range []struct {
		name string
		c    *Change
	}{{"headline", d.Headline}, {"byline", d.Byline}, {"published", d.Published}, {"modified", d.Modified}} {
		if f.c == nil {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n- %s\n+ %s\n", f.name, orNone(f.c.From), orNone(f.c.To))
	}
	for _, h := range hunks(d.Body, context) {
		fmt.Fprintf(&b, "\n@@ paragraphs %s → %s @@\n", span(h.oldStart, h.oldLen), span(h.newStart, h.newLen))
		for _, p := range h.paras {
			switch p.Op {
			case OpSame:
				fmt.Fprintf(&b, "  %s\n", p.From)
			case OpRemoved:
				fmt.Fprintf(&b, "- %s\n", p.From)
			case OpAdded:
				fmt.Fprintf(&b, "+ %s\n", p.To)
			case OpChanged:
				if !wordLevel {
					fmt.Fprintf(&b, "- %s\n+ %s\n", p.From, p.To)
					continue
				}
				b.WriteString("~ ")
				for _, s := range p.Words {
					switch s.Op {
					case OpSame:
						b.WriteString(s.Text)
					case OpRemoved:
						b.WriteString("[-" + s.Text + "-]")
					case OpAdded:
						b.WriteString("{+" + s.Text + "+}")
					}
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func span(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d (none)", start)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d-%d", start, start+n-1)
}

type hunk struct {
	oldStart, oldLen, newStart, newLen int
	paras                              []Paragraph
}

// hunks groups the aligned paragraphs into runs of changes with up to
// context unchanged paragraphs around each; runs closer than 2×context
// merge.
func hunks(body []Paragraph, context int) []hunk {
	if context < 0 {
		context = 0
	}
	// Paragraph numbers (1-based) in the old and new text before each index.
	oldNo, newNo := make([]int, len(body)+1), make([]int, len(body)+1)
	oldNo[0], newNo[0] = 1, 1
	for i, p := range body {
		oldNo[i+1], newNo[i+1] = oldNo[i], newNo[i]
		if p.Op != OpAdded {
			oldNo[i+1]++
		}
		if p.Op != OpRemoved {
			newNo[i+1]++
		}
	}
	var out []hunk
	for i := 0; i < len(body); {
		if body[i].Op == OpSame {
			i++
			continue
		}
		start := max(0, i-context)
		end := i // exclusive end of the hunk's changes
		for end < len(body) {
			if body[end].Op != OpSame {
				end++
				continue
			}
			// A run of unchanged paragraphs: stop unless another change
			// follows within 2×context.
			j := end
			for j < len(body) && body[j].Op == OpSame {
				j++
			}
			if j == len(body) || j-end > 2*context {
				break
			}
			end = j
		}
		stop := min(len(body), end+context)
		out = append(out, hunk{
			oldStart: oldNo[start], oldLen: oldNo[stop] - oldNo[start],
			newStart: newNo[start], newLen: newNo[stop] - newNo[start],
			paras: body[start:stop],
		})
		i = stop
	}
	return out
}
