package catalogtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// ScaleQuery is one full-text search of the scale benchmark; Class groups
// queries of one kind for reporting.
type ScaleQuery struct {
	Class string
	Query catalog.Query
}

// Queries returns about 200 searches such as researchers type, each with
// the CLI's default limit of 20:
//
//   - common: one widespread word ("government"): matches a large share of
//     the catalog, so ranking is the whole cost;
//   - mid: one word found in a few percent of articles;
//   - rare: one long-tail name, in a handful of captures or none;
//   - two: two words, both required;
//   - phrase: a quoted run of two or three words;
//   - boolean: a OR b, and a -b;
//   - host: a word within one host's captures;
//   - month: a word within one month of captures.
func (g *Generator) Queries() []ScaleQuery {
	r := g.rng(99)
	c := g.corpus
	var common, mid []string
	for _, w := range c.words {
		switch {
		case len(common) < 150 && w.df*100 >= 12*len(c.lengths["en"]):
			common = append(common, w.word)
		case w.df >= 3 && w.df <= 8:
			mid = append(mid, w.word)
		}
	}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	var out []ScaleQuery
	add := func(class string, n int, q func() catalog.Query) {
		for range n {
			query := q()
			query.Limit = 20
			out = append(out, ScaleQuery{Class: class, Query: query})
		}
	}
	add("common", 35, func() catalog.Query { return catalog.Query{Text: pick(common)} })
	add("mid", 35, func() catalog.Query { return catalog.Query{Text: pick(mid)} })
	add("rare", 30, func() catalog.Query {
		// Ranks from 20 000 up: each is in about n/(15 r) captures.
		return catalog.Query{Text: TailWord(20000 + r.IntN(tailRanks-20000))}
	})
	add("two", 30, func() catalog.Query { return catalog.Query{Text: pick(common) + " " + pick(mid)} })
	add("phrase", 30, func() catalog.Query { return catalog.Query{Text: `"` + pick(c.phrases) + `"`} })
	add("boolean", 10, func() catalog.Query {
		if r.IntN(2) == 0 {
			return catalog.Query{Text: pick(mid) + " OR " + pick(mid)}
		}
		return catalog.Query{Text: pick(common) + " -" + pick(common)}
	})
	add("host", 15, func() catalog.Query {
		e := g.Entry(r.IntN(g.n))
		return catalog.Query{Text: pick(common), Filter: catalog.Filter{Host: e.Host}}
	})
	add("month", 15, func() catalog.Query {
		since := g.start.AddDate(0, r.IntN(12), 0)
		return catalog.Query{Text: pick(common), Filter: catalog.Filter{Since: since, Until: since.AddDate(0, 1, 0).Add(-time.Nanosecond)}}
	})
	return out
}

// String describes a query for logs.
func (q ScaleQuery) String() string {
	var f []string
	if q.Query.Filter.Host != "" {
		f = append(f, "host="+q.Query.Filter.Host)
	}
	if !q.Query.Filter.Since.IsZero() {
		f = append(f, "month="+q.Query.Filter.Since.Format("2006-01"))
	}
	return fmt.Sprintf("%s %q %s", q.Class, q.Query.Text, strings.Join(f, " "))
}
