package extract

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func TestZZEv(t *testing.T) {
	id := os.Getenv("ZZ_EV")
	if id == "" {
		t.Skip()
	}
	for _, p := range loadRealPages(t) {
		if !strings.HasPrefix(p.id, id) {
			continue
		}
		res, _ := Extract(p.html, Options{URL: p.url, FetchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
		field := os.Getenv("ZZ_FIELD")
		var v any = res.Article.Evidence
		if field != "" {
			v = res.Article.Evidence[field]
		}
		b, _ := json.MarshalIndent(v, "", " ")
		t.Logf("%s paywalled=%v %s\n%s", p.url, res.Article.Paywalled, res.Article.PaywallReason, b)
	}
}
