package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The group-commit counters of the embedded store on the server's
// /metrics: write transactions (one per request that writes) and the
// commits that made them durable. A server build without group commit
// exposes neither.
const (
	metricWriteTx = "localyun_store_write_transactions_total"
	metricCommits = "localyun_store_commits_total"
)

// storeCounters are the group-commit counters read from /metrics, summed
// over the nodes; OK is false when any node lacks one of them or could
// not be read.
type storeCounters struct {
	Tx, Commits float64
	OK          bool
}

// commitDelta is what the counters moved during one measured run.
type commitDelta struct {
	Tx, Commits float64
	OK          bool // both scrapes had both counters and neither went back
}

// delta is after less before.
func (before storeCounters) delta(after storeCounters) commitDelta {
	d := commitDelta{Tx: after.Tx - before.Tx, Commits: after.Commits - before.Commits}
	d.OK = before.OK && after.OK && d.Tx >= 0 && d.Commits >= 0
	return d
}

// PerFsync is the write transactions per commit of the run, each commit
// being one fsync: how many requests shared one. ok is false without the
// counters or without a commit.
func (d commitDelta) PerFsync() (v float64, ok bool) {
	if !d.OK || d.Commits <= 0 {
		return 0, false
	}
	return d.Tx / d.Commits, true
}

// String is PerFsync to one decimal, or "–".
func (d commitDelta) String() string {
	v, ok := d.PerFsync()
	if !ok {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// sumSeries reads a Prometheus text exposition and returns, for each of
// names that occurs, the sum of its series (labelled or not). A name
// absent from the exposition is absent from the map.
func sumSeries(r io.Reader, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	err := eachSeries(r, func(name string, _ bool) bool { return want[name] },
		func(name string, v float64) { out[name] += v })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachSeries reads a Prometheus text exposition ("name[{labels}] value
// [timestamp]", comments skipped) and passes add the value of every
// series that want takes; a series want refuses is not parsed further.
func eachSeries(r io.Reader, want func(name string, labelled bool) bool, add func(name string, v float64)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.IndexAny(line, " \t{")
		if i < 0 || !want(line[:i], line[i] == '{') {
			continue
		}
		rest := line[i:]
		if rest[0] == '{' {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				return fmt.Errorf("metrics: %q: unterminated labels", line)
			}
			rest = rest[j+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return fmt.Errorf("metrics: %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return fmt.Errorf("metrics: %q: %w", line, err)
		}
		add(line[:i], v)
	}
	return sc.Err()
}

// scrapeStore reads the group-commit counters of every node at bases and
// sums them. Any failure gives counters that are not OK: the figure is
// then "–", the run goes on.
func scrapeStore(client *http.Client, bases []string) storeCounters {
	sum := storeCounters{OK: true}
	for _, b := range bases {
		resp, err := client.Get(b + "/metrics")
		if err != nil {
			return storeCounters{}
		}
		var m map[string]float64
		if resp.StatusCode == http.StatusOK {
			m, err = sumSeries(resp.Body, metricWriteTx, metricCommits)
		}
		resp.Body.Close()
		tx, ok1 := m[metricWriteTx]
		c, ok2 := m[metricCommits]
		if err != nil || !ok1 || !ok2 {
			return storeCounters{}
		}
		sum.Tx += tx
		sum.Commits += c
	}
	return sum
}

// fsyncState is whether the server says its writes are fsync'd before
// they are answered.
type fsyncState int

const (
	fsyncUnstated fsyncState = iota
	fsyncYes
	fsyncNo
)

var (
	reSynchronous = regexp.MustCompile(`(?i)synchronous\s*[=:( ]\s*(\w+)`)
	reFsyncOff    = regexp.MustCompile(`(?i)fsync\s*=\s*off`)
)

// durability returns how the store syncs, in the words of the server's
// start-up banner, and whether that means fsync'd writes. The banner's
// "store:" line is quoted when it names a sync mode ("synchronous=…",
// "fsync", "group commit"); otherwise it is the store kind ("sqlite
// (WAL)": the embedded store's journal mode since issue 6) and unstated.
func durability(banner string, sqlite bool) (string, fsyncState) {
	line := ""
	for l := range strings.Lines(banner) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "store:"); ok {
			line = strings.TrimSpace(v)
			break
		}
	}
	lower := strings.ToLower(line)
	if !strings.Contains(lower, "synchronous") && !strings.Contains(lower, "fsync") && !strings.Contains(lower, "group commit") {
		if sqlite {
			return "sqlite (WAL)", fsyncUnstated
		}
		return "postgres", fsyncUnstated
	}
	state := fsyncUnstated
	if m := reSynchronous.FindStringSubmatch(line); m != nil {
		switch strings.ToUpper(m[1]) {
		case "FULL", "EXTRA":
			state = fsyncYes
		case "NORMAL", "OFF":
			state = fsyncNo
		}
	}
	if reFsyncOff.MatchString(line) {
		state = fsyncNo
	}
	return "`" + line + "` (the server's banner)", state
}

// syncBuffer is a bytes.Buffer safe for a child's output copier and a
// reader at once, keeping the first max bytes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
