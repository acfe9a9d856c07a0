package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store/miniotest"
)

// Fault-test parameters (the README's durability section names them).
const (
	faultKills      = 20                      // kill -9 of serve, each followed by a restart
	faultKillWithin = 1500 * time.Millisecond // each kill lands this long after the daemon is healthy, at most
	faultOutage     = 30 * time.Second        // MinIO stopped this long mid-crawl
)

// TestFaults runs the real binary through the faults an operator's daemon
// meets, against a real MinIO and a real filesystem: kill -9 at random
// moments, the store going away for 30 s, the store's disk filling up,
// and the catalog file deleted. After each: verify finds no problem,
// every article is archived exactly once (later fetches only as
// revisits), and nothing is in the catalog without its objects.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs MinIO")
	}
	bin := filepath.Join(t.TempDir(), "archivist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := miniotest.Start(t)
	creds := []string{"AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey}
	killed := t.TempDir() // the kill test's archive, which the catalog test reuses
	if !t.Run("Kill9Repeatedly", func(t *testing.T) { testKill9Repeatedly(t, bin, srv, creds, killed) }) {
		t.Log("CatalogDeleted skipped: the kill test failed")
	} else {
		t.Run("CatalogDeleted", func(t *testing.T) { testCatalogDeleted(t, bin, faultEnv(t, creds...), killed) })
	}
	t.Run("StoreOutage", func(t *testing.T) { testStoreOutage(t, bin, srv, creds) })
	t.Run("DiskFull", func(t *testing.T) { testDiskFull(t, bin) })
}

// testKill9Repeatedly kills serve with SIGKILL at a random moment, 20
// times in a row, restarting it each time, while it crawls a slow
// newsroom into MinIO (archive in data); then lets it finish.
func testKill9Repeatedly(t *testing.T, bin string, srv *miniotest.Server, creds []string, data string) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ARCHIVIST_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("kill moments from seed %d (rerun with ARCHIVIST_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	site := newNewsroom(t, 40, 150*time.Millisecond, 4<<10)
	env := faultEnv(t, creds...)
	cfg := faultConfig(t, data, "s3://kill9?endpoint="+srv.Endpoint+"&secure=false", site, "revisit_schedule: [2s, 5s]\n")

	midFetch, orphansIndexed := 0, 0
	for i := range faultKills {
		p := faultServe(t, bin, cfg, env)
		time.Sleep(time.Duration(rng.Int64N(int64(faultKillWithin))))
		if site.inFlight() > 0 {
			midFetch++
		}
		p.cmd.Process.Kill()
		if code, _ := p.wait(t, 10*time.Second); code != -1 && code != 137 && code != 0 {
			// A SIGKILL'd process has no exit code of its own.
			t.Logf("kill %d: exit code %d", i+1, code)
		}
		if strings.Contains(p.stderr.String(), "indexed captures left uncatalogued by an earlier crash") {
			orphansIndexed++
		}
	}
	captured := len(faultCatalog(t, data))
	t.Logf("%d kills, %d of them while an article was being served; %d starts indexed a crash's orphans; %d captures so far",
		faultKills, midFetch, orphansIndexed, captured)
	if midFetch < faultKills/4 {
		t.Errorf("only %d of %d kills landed while a fetch was in flight: the test proves little", midFetch, faultKills)
	}

	// The last start: everything gets archived, with no operator action.
	p := faultServe(t, bin, cfg, env)
	poll(t, 90*time.Second, "every article archived after the kills", func() bool { return faultAllArchived(t, site, data) })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM after the kills: exit %d\n%s", code, tailLines(p.stderr.String(), 20))
	}
	faultArchivedOnce(t, site, faultCatalog(t, data))
	leftovers := faultVerify(t, bin, env, data)
	t.Logf("verify: 0 problems, %d leftovers of captures interrupted by a kill (each redone)", leftovers)
}

// testCatalogDeleted deletes the catalog of an archive and rebuilds it
// with `reindex` from the store alone: every row comes back equal.
func testCatalogDeleted(t *testing.T, bin string, env []string, data string) {
	before := faultCatalog(t, data)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(data, "catalog.db"+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if out, errOut, code := faultRun(t, bin, env, "reindex", "--data", data); code != 0 {
		t.Fatalf("reindex: exit %d\n%s\n%s", code, out, errOut)
	}
	after := faultCatalog(t, data)
	if len(after) != len(before) {
		t.Errorf("reindex rebuilt %d captures, the catalog had %d", len(after), len(before))
	}
	byID := map[string]catalog.Entry{}
	for _, e := range after {
		byID[e.CaptureID] = e
	}
	for _, e := range before {
		if got, ok := byID[e.CaptureID]; !ok {
			t.Errorf("capture %s lost by reindex", e.CaptureID)
		} else if !reflect.DeepEqual(got, e) {
			t.Errorf("capture %s differs after reindex:\n%+v\n%+v", e.CaptureID, got, e)
		}
	}
	t.Logf("reindex rebuilt %d captures, every one equal to the deleted catalog's", len(after))
	faultVerify(t, bin, env, data)
}

// testStoreOutage stops MinIO for 30 s in the middle of a crawl: the
// captures that meet the outage wait and retry (store_retry), nothing
// enters the catalog while the store is down, and once it is back every
// article is archived, once, with no operator action.
func testStoreOutage(t *testing.T, bin string, srv *miniotest.Server, creds []string) {
	site := newNewsroom(t, 30, 200*time.Millisecond, 4<<10)
	data := t.TempDir()
	env := faultEnv(t, creds...)
	cfg := faultConfig(t, data, "s3://outage?endpoint="+srv.Endpoint+"&secure=false", site, "revisit_schedule: []\n")
	p := faultServe(t, bin, cfg, env)
	poll(t, 60*time.Second, "the first captures", func() bool { return len(faultCatalog(t, data)) >= 4 })
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	restarted := false
	defer func() {
		if !restarted {
			srv.Restart()
		}
	}()
	time.Sleep(2 * time.Second) // a capture already past its last write may still land
	during := len(faultCatalog(t, data))
	poll(t, faultOutage, "the daemon to meet the outage", func() bool {
		return strings.Contains(p.stderr.String(), "store unavailable; the url waits for it")
	})
	time.Sleep(time.Until(down.Add(faultOutage)))
	_, metrics := fetch(p.base + "/metrics")
	if after := len(faultCatalog(t, data)); after != during {
		t.Errorf("%d captures entered the catalog while the store was down", after-during)
	}
	if m := faultStoreErrors.FindStringSubmatch(metrics); m == nil || m[1] == "0" {
		t.Errorf("archivist_store_errors_total not counted during the outage: %v", m)
	}
	if code, _ := fetch(p.base + "/healthz"); code != 200 {
		t.Errorf("/healthz during the store outage: %d", code)
	}
	if all := faultAllArchived(t, site, data); all {
		t.Error("the crawl had finished before the outage: the test proves nothing")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	t.Logf("MinIO down for %s with %d of %d articles archived", time.Since(down).Round(time.Second), during, site.n)
	poll(t, 60*time.Second, "every article archived once MinIO is back", func() bool { return faultAllArchived(t, site, data) })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d\n%s", code, tailLines(p.stderr.String(), 20))
	}
	faultArchivedOnce(t, site, faultCatalog(t, data))
	faultVerify(t, bin, env, data)
}

// testDiskFull puts the local store on a 4 MiB tmpfs that is nearly full:
// captures fail with a clear error, leave nothing half-written and wait;
// when space is freed the crawl resumes by itself and archives everything.
func testDiskFull(t *testing.T, bin string) {
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("mount a 4 MiB tmpfs (needs root, as in CI): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })
	var fs syscall.Statfs_t
	if err := syscall.Statfs(disk, &fs); err != nil {
		t.Fatal(err)
	}
	free := int64(fs.Bavail) * int64(fs.Bsize)
	// Leave room for a few captures (~150 KB each) and no more.
	ballast := filepath.Join(disk, "ballast")
	if err := os.WriteFile(ballast, make([]byte, free-600<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	site := newNewsroom(t, 20, 50*time.Millisecond, 96<<10)
	data := t.TempDir()
	env := faultEnv(t)
	cfg := faultConfig(t, data, "file://"+filepath.Join(disk, "store"), site, "revisit_schedule: []\n")
	p := faultServe(t, bin, cfg, env)
	poll(t, 60*time.Second, "the disk to fill", func() bool {
		return strings.Contains(p.stderr.String(), "no space left on device")
	})
	// The error says what happened and what to do.
	var errLine string
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if strings.Contains(line, "no space left on device") {
			errLine = line
			break
		}
	}
	if !strings.Contains(errLine, "store unavailable") || !strings.Contains(errLine, "free disk space at "+filepath.Join(disk, "store")) {
		t.Errorf("the disk-full error does not say what to do:\n%s", errLine)
	}
	// Articles only: a revisit of the listing (a few KB) may still fit
	// where an article does not.
	articles := func() int {
		kinds, n := faultKinds(faultCatalog(t, data)), 0
		for _, u := range site.articleURLs() {
			n += kinds[u][0]
		}
		return n
	}
	full := articles()
	time.Sleep(3 * time.Second) // at least one store_retry round on a full disk
	if n := articles(); n != full || n == site.n {
		t.Errorf("articles went on being archived with the disk full: %d, then %d of %d", full, n, site.n)
	}
	t.Logf("disk full after %d articles", full)
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	poll(t, 60*time.Second, "every article archived once space returns", func() bool { return faultAllArchived(t, site, data) })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d\n%s", code, tailLines(p.stderr.String(), 20))
	}
	// Nothing half-written: no temporary file left, and every object in
	// the store, catalogued or not, is whole (verify parses the WARC of
	// each capture a full disk interrupted).
	if tmp, _ := os.ReadDir(filepath.Join(disk, "store", ".tmp")); len(tmp) != 0 {
		t.Errorf("%d temporary files left in the store", len(tmp))
	}
	faultArchivedOnce(t, site, faultCatalog(t, data))
	leftovers := faultVerify(t, bin, env, data)
	t.Logf("after the disk was freed: 0 problems, %d captures interrupted by the full disk (redone)", leftovers)
}
