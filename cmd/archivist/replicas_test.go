package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// replicaEnv is the environment of a replica: loopback only, and the
// MinIO credentials the S3 store reads.
func replicaEnv(t *testing.T, minio *miniotest.Server) []string {
	return append(binEnv(t), "AWS_ACCESS_KEY_ID="+minio.AccessKey, "AWS_SECRET_ACCESS_KEY="+minio.SecretKey)
}

// runBin runs the binary to completion and returns its output and exit code.
func runBin(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("archivist %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), 0
}

// startReplica starts `archivist serve` with env and waits for /healthz.
func startReplica(t *testing.T, bin, cfg string, env []string) *daemonProc {
	t.Helper()
	return startServeEnv(t, bin, cfg, env, 60*time.Second)
}

var runIDField = regexp.MustCompile(`"run_id":"([^"]+)"`)

// TestReplicasShareOneCrawl runs three replicas of the real binary on one
// PostgreSQL (catalog, frontier, politeness slots) and one MinIO store
// against the demo site's bulk section (36 articles) and topic page,
// kills one with SIGKILL while it holds leases, and checks that every
// article is archived exactly once as a full capture, that the dead
// replica's work is taken over long before its lease would expire, that
// the site never saw more requests at once than the per-host limit (all
// outlets are one host, 127.0.0.1, to the crawler), and that verify is
// clean.
func TestReplicasShareOneCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary with PostgreSQL and MinIO")
	}
	pgsrv := pgtest.Start(t)
	dsn := pgsrv.NewDatabase(t)
	minio := miniotest.Start(t)
	bin := filepath.Join(t.TempDir(), "archivist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	site, err := demosite.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	// Each bulk article takes 300 ms to serve, so requests overlap and a
	// replica is always in the middle of something.
	site.OnRequest(func(outlet, path string) {
		if demosite.IsBulkArticle(path) {
			time.Sleep(300 * time.Millisecond)
		}
	})
	env := func() []string { return replicaEnv(t, minio) }

	// The schema: migrate is needed once, and safe twice.
	out, code := runBin(t, bin, env(), "migrate", "--db", dsn)
	if code != 0 || !strings.Contains(out, "applied catalog migration 1") || !strings.Contains(out, "applied frontier migration 1") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if out, code := runBin(t, bin, env(), "migrate", "--db", dsn); code != 0 || !strings.Contains(out, "already up to date") {
		t.Fatalf("second migrate: exit %d\n%s", code, out)
	}

	const (
		parallelism = 2
		delay       = 100 * time.Millisecond
	)
	storeURL := fmt.Sprintf("s3://replicas?endpoint=%s&secure=false", minio.Endpoint)
	loopback := `'^http://127\.0\.0\.1:'`
	var procs []*daemonProc
	var runIDs []string
	var datas []string
	for i := range 3 {
		data := t.TempDir()
		cfg := filepath.Join(t.TempDir(), "archivist.yaml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`data: %s
store: '%s'
db: '%s'
crawl:
  allow_private_networks: true
  per_host_parallelism: %d
  per_host_delay: %s
  request_timeout: 10s
  contact: replica-%d
sources:
  - {name: bulk, url: '%s', kind: page, interval: 1m, include: [%s]}
  - {name: topic, url: '%s', kind: page, interval: 1m, include: [%s]}
revisit_schedule: []
serve:
  listen: 127.0.0.1:0
  workers: 4
  lease: 10s
  drain_timeout: 5s
log:
  format: json
`, data, storeURL, dsn, parallelism, delay, i, site.BulkListURL(), loopback, site.TopicURL(), loopback)), 0o644); err != nil {
			t.Fatal(err)
		}
		p := startReplica(t, bin, cfg, env())
		_, health := fetch(p.base + "/healthz")
		m := runIDField.FindStringSubmatch(health)
		if m == nil {
			t.Fatalf("no run id in /healthz: %s", health)
		}
		procs, runIDs, datas = append(procs, p), append(runIDs, m[1]), append(datas, data)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}

	var articles []string
	for _, o := range demosite.BulkHosts {
		for n := 1; n <= demosite.BulkPerHost; n++ {
			articles = append(articles, site.BulkArticleURL(o, n))
		}
	}
	for outlet := range demosite.ArticlePaths {
		articles = append(articles, site.ArticleURL(outlet))
	}
	// Kill, with SIGKILL, the first replica seen holding leases on articles
	// once the crawl is under way. Which replica leases first is up to the
	// scheduler, so the victim is moved to index 0 for what follows.
	var held []string
	poll(t, 90*time.Second, "a replica to hold leases mid-crawl", func() bool {
		if count(`SELECT count(*) FROM captures`) < 3 {
			return false
		}
		for i := range runIDs {
			rows, err := conn.Query(t.Context(), `SELECT url FROM frontier_items WHERE state = 'leased' AND lease_owner = $1 AND url = ANY($2)`, runIDs[i], articles)
			if err != nil {
				t.Fatal(err)
			}
			held, err = pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(held) > 0 {
				procs[0], procs[i] = procs[i], procs[0]
				runIDs[0], runIDs[i] = runIDs[i], runIDs[0]
				return true
			}
		}
		return false
	})
	procs[0].cmd.Process.Kill()
	killed := time.Now()
	procs[0].wait(t, 10*time.Second)
	atKill := count(`SELECT count(*) FROM captures`)
	t.Logf("killed a replica (run %s) holding %d leases, %d captures in the catalog", runIDs[0], len(held), atKill)

	// Its leases are given back as soon as a survivor leases (its
	// PostgreSQL session is gone), not when the 10 s lease runs out; the
	// log line checked below says which way they came back.
	poll(t, 60*time.Second, "the dead replica's leases to be given back", func() bool {
		return count(`SELECT count(*) FROM frontier_items WHERE url = ANY($1) AND state = 'leased' AND lease_owner = $2`, held, runIDs[0]) == 0
	})
	t.Logf("the dead replica's %d leases were given back %s after the kill (lease time 10s)", len(held), time.Since(killed).Round(time.Millisecond))
	poll(t, 60*time.Second, "the dead replica's leased URLs to be archived by the others", func() bool {
		return count(`SELECT count(*) FROM frontier_items WHERE url = ANY($1) AND state = 'done' AND captures > 0`, held) == len(held)
	})
	t.Logf("and archived %s after the kill, behind the queue ahead of them", time.Since(killed).Round(time.Millisecond))

	poll(t, 120*time.Second, "every article archived", func() bool {
		return count(`SELECT count(DISTINCT canonical_url) FROM captures WHERE canonical_url = ANY($1)`, articles) == len(articles)
	})
	for _, p := range procs[1:] {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code, _ := p.wait(t, 30*time.Second); code != 0 {
			t.Errorf("replica exit %d after SIGTERM\n%s", code, tailLines(p.stderr.String(), 20))
		}
	}
	reclaimed := false
	for _, p := range procs[1:] {
		reclaimed = reclaimed || strings.Contains(p.stderr.String(), "took back the leases of a replica that is gone")
	}
	if !reclaimed {
		t.Error("no surviving replica logged taking back the dead replica's leases")
	}

	// Every article exactly once as a full capture; no payload stored
	// twice as a full capture anywhere.
	rows, err := conn.Query(t.Context(), `SELECT canonical_url, count(*) FILTER (WHERE kind = 'response'), count(*)
		FROM captures WHERE canonical_url = ANY($1) GROUP BY 1`, articles)
	if err != nil {
		t.Fatal(err)
	}
	revisits := 0
	for rows.Next() {
		var u string
		var full, all int
		if err := rows.Scan(&u, &full, &all); err != nil {
			t.Fatal(err)
		}
		if full != 1 {
			t.Errorf("%s: %d full captures, want exactly 1", u, full)
		}
		revisits += all - full
	}
	rows.Close()
	if n := count(`SELECT count(*) FROM (SELECT payload_sha256 FROM captures WHERE kind = 'response' GROUP BY 1 HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d payloads are stored as more than one full capture", n)
	}
	t.Logf("%d articles, each one full capture; %d revisit records (re-fetches of URLs the killed replica had stored but not completed)", len(articles), revisits)

	// Politeness across the replicas: every outlet is 127.0.0.1 to the
	// crawler, so the limit holds for the site as a whole.
	reqs := site.Requests()
	byReplica := map[string]int{}
	for _, r := range reqs {
		if m := regexp.MustCompile(`contact: (replica-\d)`).FindStringSubmatch(r.UserAgent); m != nil {
			byReplica[m[1]]++
		}
	}
	peak, when := maxConcurrency(reqs)
	t.Logf("%d requests (%v by replica); at most %d at once (at %s)", len(reqs), byReplica, peak, when.Format("15:04:05.000"))
	if peak > parallelism {
		t.Errorf("the site saw %d requests at once, limit %d", peak, parallelism)
	}
	if len(byReplica) < 2 {
		t.Errorf("requests came from %v: the replicas did not share the work", byReplica)
	}
	starts := make([]time.Time, len(reqs))
	for i, r := range reqs {
		starts[i] = r.Start
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	// Starts are at least delay apart at the gate; the server sees them a
	// little later each, so the whole run, not each gap, is checked.
	if span, min := starts[len(starts)-1].Sub(starts[0]), time.Duration(len(starts)-1)*delay-time.Second; span < min {
		t.Errorf("%d requests started within %s, faster than one per %s", len(starts), span, delay)
	}

	// verify over the shared catalog and store: clean.
	vout, vcode := runBin(t, bin, env(), "verify", "--data", datas[1], "--db", dsn)
	if vcode != 0 {
		t.Errorf("verify: exit %d\n%s", vcode, vout)
	}
	t.Logf("verify: %s", strings.TrimSpace(lastLine(vout)))
	// status reads the shared frontier.
	sout, _ := runBin(t, bin, env(), "status", "--data", datas[1], "--db", dsn, "--json")
	var status struct {
		Sources []struct {
			Name     string `json:"name"`
			Archived int64  `json:"archived"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(sout), &status); err != nil {
		t.Fatalf("status --json: %v\n%s", err, sout)
	}
	for _, s := range status.Sources {
		if s.Name == "bulk" && s.Archived != int64(len(demosite.BulkHosts)*demosite.BulkPerHost) {
			t.Errorf("status: bulk archived %d, want %d", s.Archived, len(demosite.BulkHosts)*demosite.BulkPerHost)
		}
	}
}

// maxConcurrency is the largest number of requests whose [Start, End]
// intervals overlap, and when it was reached.
func maxConcurrency(reqs []demosite.Request) (int, time.Time) {
	type ev struct {
		at    time.Time
		delta int
	}
	var evs []ev
	for _, r := range reqs {
		evs = append(evs, ev{r.Start, 1}, ev{r.End, -1})
	}
	// Ends sort before starts at the same instant: back-to-back requests
	// do not overlap.
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].delta < evs[j].delta
	})
	cur, peak := 0, 0
	var when time.Time
	for _, e := range evs {
		cur += e.delta
		if cur > peak {
			peak, when = cur, e.at
		}
	}
	return peak, when
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
