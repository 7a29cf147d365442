package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/localyun/localyun/internal/protocol"
)

const (
	ecsVersion     = "2014-05-26"
	bastionVersion = "2019-12-09"
)

// Op is one benchmarked operation. An iteration is one request or a cycle
// of requests that leaves the world as it found it; each request is
// measured under its step label.
type Op struct {
	Name    string
	Labels  []string
	Bastion bool
	Write   bool // every iteration writes: also run at --write-concurrency
	// Conc is the number of workers for a world and the requested
	// concurrency: mutating operations need disjoint objects per worker.
	Conc func(w World, c int) int
	// Iter runs iteration i of worker k of n.
	Iter func(c *caller, w World, k, n, i int) error
}

var ops = []Op{
	{
		Name: "describe1", Labels: []string{"DescribeInstanceRamRole (1 id)"},
		Conc: func(w World, c int) int { return c },
		Iter: func(c *caller, w World, k, n, i int) error {
			id := instanceID(c.rng.IntN(w.Instances))
			return c.call(0, ecsVersion, "DescribeInstanceRamRole", []string{"InstanceIds", `["` + id + `"]`}, wantContains(`"TotalCount":1,`))
		},
	},
	{
		Name:   "attach1",
		Labels: []string{"AttachInstanceRamRole (1 instance)", "DetachInstanceRamRole (1 instance)"},
		Write:  true,
		Conc:   func(w World, c int) int { return min(c, w.Instances/2) },
		Iter: func(c *caller, w World, k, n, i int) error {
			// Worker k cycles over the odd (role-less) instances k, k+n, ...
			per := (w.Instances/2 - k + n - 1) / n
			id := `["` + instanceID(2*(k+(i%per)*n)+1) + `"]`
			if err := c.call(0, ecsVersion, "AttachInstanceRamRole", []string{"InstanceIds", id, "RamRoleName", roleName(k % w.Roles)}, wantContains(`"FailCount":0`)); err != nil {
				return err
			}
			return c.call(1, ecsVersion, "DetachInstanceRamRole", []string{"InstanceIds", id}, wantContains(`"FailCount":0`))
		},
	},
	detach100Op("detach100", func(w World, c int) int { return min(c, w.Instances/2/100) }),
	detach100Op("detach100-c1", func(w World, c int) int { return min(1, w.Instances/2/100) }),
	{
		Name: "listhosts", Labels: []string{"ListHostsForUserGroup (page of 20)"}, Bastion: true,
		Conc: func(w World, c int) int { return c },
		Iter: func(c *caller, w World, k, n, i int) error {
			g := strconv.Itoa(c.rng.IntN(w.Groups) + 1)
			return c.call(0, bastionVersion, "ListHostsForUserGroup", []string{"InstanceId", benchBastion, "UserGroupId", g,
				"PageNumber", "1", "PageSize", "20"}, wantContains(`"HostId"`))
		},
	},
	{
		Name:    "bhcycle",
		Labels:  []string{"DetachHostAccountsFromUserGroup (1 host × accounts)", "AttachHostAccountsToUserGroup (1 host × accounts)"},
		Bastion: true,
		Write:   true,
		Conc:    func(w World, c int) int { return min(c, w.Groups) },
		Iter: func(c *caller, w World, k, n, i int) error {
			// Worker k owns user group k+1 and the first host it holds.
			g := k + 1
			h := w.hostsOfGroup(g)[0]
			hosts := `[{"HostId":"` + hostID(h) + `","HostAccountIds":["` + strings.Join(w.accountIDs(h), `","`) + `"]}]`
			params := []string{"InstanceId", benchBastion, "UserGroupId", strconv.Itoa(g), "Hosts", hosts}
			if err := c.call(0, bastionVersion, "DetachHostAccountsFromUserGroup", params, allCodesOK); err != nil {
				return err
			}
			return c.call(1, bastionVersion, "AttachHostAccountsToUserGroup", params, allCodesOK)
		},
	},
}

func detach100Op(name string, conc func(World, int) int) Op {
	label := ""
	if name == "detach100-c1" {
		label = ", 1 client"
	}
	return Op{
		Name:   name,
		Labels: []string{"DetachInstanceRamRole (100 instances" + label + ")", "AttachInstanceRamRole (100 instances" + label + ")"},
		Write:  true,
		Conc:   conc,
		Iter: func(c *caller, w World, k, n, i int) error {
			// Block b holds the even (role-holding) instances 200b, 200b+2, ...
			blocks := w.Instances / 2 / 100
			per := (blocks - k + n - 1) / n
			b := k + (i%per)*n
			var sb strings.Builder
			sb.WriteByte('[')
			for j := 0; j < 100; j++ {
				if j > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(`"` + instanceID(2*(b*100+j)) + `"`)
			}
			sb.WriteByte(']')
			ids := sb.String()
			if err := c.call(0, ecsVersion, "DetachInstanceRamRole", []string{"InstanceIds", ids}, wantContains(`"FailCount":0`)); err != nil {
				return err
			}
			return c.call(1, ecsVersion, "AttachInstanceRamRole", []string{"InstanceIds", ids, "RamRoleName", roleName(b % w.Roles)}, wantContains(`"FailCount":0`))
		},
	}
}

// opRun is one measured run of an operation: Conc workers, which each
// concurrency in Asked gave (an operation caps its workers by the world).
type opRun struct {
	Conc  int
	Asked []int
}

// opRuns returns the runs of op on world w, fewest workers first: one per
// distinct worker count that concs (and, for a writing operation,
// writeConcs) give. Concurrencies that give no worker are dropped.
func opRuns(op Op, w World, concs, writeConcs []int) []opRun {
	asked := slices.Clone(concs)
	if op.Write {
		asked = append(asked, writeConcs...)
	}
	slices.Sort(asked)
	asked = slices.Compact(asked)
	var out []opRun
	for _, c := range asked {
		n := op.Conc(w, c)
		if n < 1 {
			continue
		}
		if i := slices.IndexFunc(out, func(r opRun) bool { return r.Conc == n }); i >= 0 {
			out[i].Asked = append(out[i].Asked, c)
			continue
		}
		out = append(out, opRun{Conc: n, Asked: []int{c}})
	}
	slices.SortFunc(out, func(a, b opRun) int { return a.Conc - b.Conc })
	return out
}

func opNames() []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Name
	}
	return out
}

func wantContains(s string) func([]byte) error {
	return func(b []byte) error {
		if !bytes.Contains(b, []byte(s)) {
			return fmt.Errorf("response lacks %s: %.200s", s, b)
		}
		return nil
	}
}

// allCodesOK checks that every per-item Code of a Bastionhost batch is OK.
func allCodesOK(b []byte) error {
	all := bytes.Count(b, []byte(`"Code":"`))
	ok := bytes.Count(b, []byte(`"Code":"OK"`))
	if all == 0 || all != ok {
		return fmt.Errorf("%d of %d items not OK: %.300s", all-ok, all, b)
	}
	return nil
}

// stats are one worker's measurements.
type stats struct {
	lat      [][]int64 // per label, nanoseconds
	errs     []int
	firstErr string
	sizes    map[string]int // last response size per action
}

// caller signs and sends requests for one worker.
type caller struct {
	base    string
	client  *http.Client
	rng     *rand.Rand
	nonce   string
	seq     uint64
	buf     bytes.Buffer
	st      *stats
	discard bool // do not record (probe)

	imdsRole string // the imds operation's role name, read once (imds.go)
}

// errNotServed marks an action the server does not route.
var errNotServed = errors.New("not served")

// signedQuery returns the query of a V1-signed POST, with the common
// parameters the v1 SDK sends.
func (c *caller) signedQuery(version, action string, kv []string) string {
	c.seq++
	v := make(url.Values, 12+len(kv)/2)
	v["AccessKeyId"] = []string{benchKeyID}
	v["Action"] = []string{action}
	v["Format"] = []string{"JSON"}
	v["RegionId"] = []string{benchRegion}
	v["SignatureMethod"] = []string{"HMAC-SHA1"}
	v["SignatureNonce"] = []string{c.nonce + strconv.FormatUint(c.seq, 16)}
	v["SignatureType"] = []string{""}
	v["SignatureVersion"] = []string{"1.0"}
	v["Timestamp"] = []string{time.Now().UTC().Format("2006-01-02T15:04:05Z")}
	v["Version"] = []string{version}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = []string{kv[i+1]}
	}
	v["Signature"] = []string{protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), benchKeySecret)}
	return v.Encode()
}

func (c *caller) call(step int, version, action string, kv []string, check func([]byte) error) error {
	q := c.signedQuery(version, action, kv)
	req, err := http.NewRequest(http.MethodPost, c.base+"/?"+q, http.NoBody)
	if err != nil {
		return err
	}
	h := req.Header
	h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	h["Accept-Encoding"] = []string{"identity"}
	h["User-Agent"] = []string{"AlibabaCloud (linux; amd64) Golang/go1.26 Core/0.01 localyun-bench"}
	h["X-Sdk-Client"] = []string{"golang/1.0.0"}
	h["X-Sdk-Invoke-Type"] = []string{"normal"}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err == nil {
		c.buf.Reset()
		_, err = c.buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	el := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		body := c.buf.Bytes()
		if bytes.Contains(body, []byte(`"InvalidAction.NotFound"`)) || bytes.Contains(body, []byte(`"InvalidVersion"`)) {
			return fmt.Errorf("%s %s: %w", version, action, errNotServed)
		}
		err = fmt.Errorf("%s: HTTP %d: %.300s", action, resp.StatusCode, body)
	}
	if err == nil && check != nil {
		err = check(c.buf.Bytes())
		if err != nil {
			err = fmt.Errorf("%s: %w", action, err)
		}
	}
	if c.discard {
		if err == nil {
			c.st.sizes[action] = c.buf.Len()
		}
		return err
	}
	c.st.lat[step] = append(c.st.lat[step], int64(el))
	if err != nil {
		c.st.errs[step]++
		if c.st.firstErr == "" {
			c.st.firstErr = err.Error()
		}
	} else {
		c.st.sizes[action] = c.buf.Len()
	}
	return nil // keep going: errors are counted, not fatal
}

// Measurement is one row of a table: one step of an operation on one server.
type Measurement struct {
	Label     string
	Conc      int
	N         int
	Errors    int
	FirstErr  string
	Elapsed   time.Duration
	P50, P99  time.Duration
	P999      time.Duration
	RPS       float64
	Sizes     map[string]int
	NotServed string
}

// runOp drives op against the servers at bases with conc workers (worker k
// pinned to bases[k mod len(bases)]): for warmup unmeasured, then for d,
// and returns one Measurement per label of the measured part. With
// scrape, it also returns what the store's group-commit counters moved
// from the start of the measured part to its end.
func runOp(ctx context.Context, bases []string, op Op, w World, conc int, warmup, d time.Duration, scrape func() storeCounters) ([]Measurement, commitDelta, error) {
	tr := &http.Transport{MaxIdleConns: conc + 4, MaxIdleConnsPerHost: conc + 4, DisableCompression: true, IdleConnTimeout: 90 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	// A probe iteration checks that the server routes the actions and that
	// the world is as expected; it is not measured.
	probe := newCaller(bases[0], client, conc, len(op.Labels))
	probe.discard = true
	if err := op.Iter(probe, w, 0, conc, 0); err != nil {
		if errors.Is(err, errNotServed) {
			return notServed(op.Labels, conc, err), commitDelta{}, nil
		}
		return nil, commitDelta{}, fmt.Errorf("%s: probe: %w", op.Name, err)
	}
	callers := make([]*caller, conc)
	for k := range callers {
		callers[k] = newCaller(bases[k%len(bases)], client, k, len(op.Labels))
	}
	// Caches of the server (and of the OS) fill during the warm-up, as on a
	// server that has been running; an iteration that starts before the
	// measured part is not measured.
	start := time.Now().Add(warmup)
	before := scrapeAt(ctx, start, scrape)
	runCallers(ctx, callers, op, w, conc, start, start.Add(d))
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, commitDelta{}, err
	}
	var moved commitDelta
	if scrape != nil {
		moved = (<-before).delta(scrape())
	}
	return measurements(op.Labels, conc, elapsed, probe, callers), moved, nil
}

// scrapeAt calls scrape (if not nil) at time at, or when ctx ends, in its
// own goroutine, and delivers the counters on the channel returned.
func scrapeAt(ctx context.Context, at time.Time, scrape func() storeCounters) <-chan storeCounters {
	ch := make(chan storeCounters, 1)
	if scrape == nil {
		ch <- storeCounters{}
		return ch
	}
	go func() {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		ch <- scrape()
	}()
	return ch
}

// newCaller returns worker k's caller of base, with a random nonce prefix
// and empty stats for labels steps.
func newCaller(base string, client *http.Client, k, labels int) *caller {
	var nb [8]byte
	crand.Read(nb[:])
	st := &stats{lat: make([][]int64, labels), errs: make([]int, labels), sizes: map[string]int{}}
	for i := range st.lat {
		st.lat[i] = make([]int64, 0, 1<<14)
	}
	return &caller{base: base, client: client, rng: rand.New(rand.NewPCG(uint64(k), 42)), nonce: hex.EncodeToString(nb[:]), st: st}
}

// notServed is the row of each label of an operation the server does not
// route.
func notServed(labels []string, conc int, err error) []Measurement {
	ms := make([]Measurement, len(labels))
	for i, l := range labels {
		ms[i] = Measurement{Label: l, Conc: conc, NotServed: err.Error()}
	}
	return ms
}

// runCallers runs op's iterations on every caller, each in its own
// goroutine, until deadline or ctx ends; iterations that start before
// start are not recorded. A worker whose iteration fails stops, with the
// error counted against the first label.
func runCallers(ctx context.Context, callers []*caller, op Op, w World, conc int, start, deadline time.Time) {
	var wg sync.WaitGroup
	for k := range callers {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			c := callers[k]
			// A cycle always completes, so the world is left as found.
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				c.discard = time.Now().Before(start)
				if err := op.Iter(c, w, k, conc, i); err != nil {
					c.st.errs[0]++
					if c.st.firstErr == "" {
						c.st.firstErr = err.Error()
					}
					return
				}
			}
		}(k)
	}
	wg.Wait()
}

// measurements merges the callers' stats into one Measurement per label;
// response sizes come from the probe, overwritten by the callers'.
func measurements(labels []string, conc int, elapsed time.Duration, probe *caller, callers []*caller) []Measurement {
	out := make([]Measurement, len(labels))
	sizes := maps(probe.st.sizes)
	for _, c := range callers {
		for k, v := range c.st.sizes {
			sizes[k] = v
		}
	}
	for i, label := range labels {
		var all []int64
		m := Measurement{Label: label, Conc: conc, Elapsed: elapsed, Sizes: sizes}
		for _, c := range callers {
			all = append(all, c.st.lat[i]...)
			m.Errors += c.st.errs[i]
			if m.FirstErr == "" {
				m.FirstErr = c.st.firstErr
			}
		}
		slices.Sort(all)
		m.N = len(all)
		if m.N > 0 {
			m.P50, m.P99, m.P999 = pct(all, 0.50), pct(all, 0.99), pct(all, 0.999)
		}
		m.RPS = float64(m.N) / elapsed.Seconds()
		out[i] = m
	}
	return out
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pct is the nearest-rank percentile of sorted.
func pct(sorted []int64, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return time.Duration(sorted[max(0, min(i, len(sorted)-1))])
}
