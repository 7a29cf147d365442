package main

// `localyun-bench ssh`: the bastion SSH gateway (issue 15) against a real
// OpenSSH sshd on loopback, with the unmodified OpenSSH clients.
//
//	go run ./cmd/localyun-bench ssh [--duration 10s] [--concurrency 4] [--scp-size 64MiB]
//
// It starts an sshd (internal/sshtest: its own host key and config in a
// temporary directory; as root a throwaway user, removed afterwards),
// `localyun serve --ssh-addr` on a fresh SQLite store seeded with one
// bastion instance, and makes through the API one host (the sshd), one
// host account (the sshd account's private key) and one bastion user
// granted it. Then, for --duration each, it measures:
//
//   - logins/s: --concurrency clients in a loop, each running `ssh ...
//     true`, directly to the sshd by key, and through the gateway as the
//     documented transparent proxy (ProxyCommand `ssh bastion-user@gateway
//     -W %h:%p`, the bastion user logging in by password, the gateway by
//     the stored key). A login through the gateway is two SSH handshakes
//     and two client processes against one, so its ratio measures the
//     whole path a user waits for, not the gateway alone.
//   - scp MiB/s: one client copying a --scp-size file up (`scp -q`) in a
//     loop, directly and through the same proxy.
//
// and prints one Markdown table with the gateway's figure as a fraction
// of the direct one (issue 15's goal for scp: ≥ 0.8×).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/localyun/localyun/internal/sshtest"
)

// sshMode is the first argument that runs the SSH gateway bench.
const sshMode = "ssh"

const (
	sshBenchInstance = "bastionhost-cn-sshbench"
	sshBenchUser     = "benchuser"
	sshBenchPassword = "Bench-Passw0rd!x"
)

// SSHBenchConfig is the configuration of `localyun-bench ssh`.
type SSHBenchConfig struct {
	Duration    time.Duration
	Concurrency int
	SCPSize     int64
	Dir         string
	ServerBin   string
	Ops         string // "logins", "scp" or both (comma-separated; "": both)
}

func parseSSHFlags(args []string, stderr io.Writer) (SSHBenchConfig, error) {
	c := SSHBenchConfig{}
	fs := flag.NewFlagSet("localyun-bench ssh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long each measurement runs")
	fs.IntVar(&c.Concurrency, "concurrency", 4, "concurrent clients of the logins/s measurement")
	size := fs.String("scp-size", "64MiB", "size of the file scp copies (KiB, MiB or GiB suffix)")
	fs.StringVar(&c.Dir, "dir", filepath.Join(os.TempDir(), "localyun-bench"), "directory for the run's files")
	fs.StringVar(&c.ServerBin, "server-bin", "", "localyun binary to run (default: go build ./cmd/localyun)")
	fs.StringVar(&c.Ops, "ops", "", "measurements to run: logins, scp (comma-separated; default both)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	n, err := parseSize(*size)
	if err != nil {
		return c, fmt.Errorf("--scp-size: %w", err)
	}
	c.SCPSize = n
	if c.Duration <= 0 || c.Concurrency < 1 || c.Concurrency > 256 {
		return c, errors.New("--duration must be positive and --concurrency from 1 to 256")
	}
	for _, op := range strings.Split(c.Ops, ",") {
		if op != "" && op != "logins" && op != "scp" {
			return c, fmt.Errorf("--ops: unknown measurement %q (logins, scp)", op)
		}
	}
	return c, nil
}

// parseSize parses "64MiB", "512KiB", "1GiB" or a byte count.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suf); ok {
			s, mult = v, m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n*mult > 8<<30 {
		return 0, fmt.Errorf("%q: want a size from 1 byte to 8GiB", s)
	}
	return n * mult, nil
}

// sshBench is one run's sshd, server and clients.
type sshBench struct {
	cfg    SSHBenchConfig
	sshd   *sshtest.Server
	cli    *sshtest.Client
	gw     string // the gateway's address
	direct sshtest.Login
	bastn  sshtest.Login
}

func runSSHCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseSSHFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "localyun-bench ssh:", err)
		}
		return 2
	}
	if err := runSSHBench(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "localyun-bench ssh:", err)
		return 1
	}
	return 0
}

// runSSHBench starts everything, measures and prints the table.
func runSSHBench(ctx context.Context, cfg SSHBenchConfig, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "ssh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &sshBench{cfg: cfg}
	stop, err := b.start(ctx, tmp, logf)
	if stop != nil {
		defer stop()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# localyun-bench ssh\n\n%s, %d CPUs; %s per measurement; sshd and the bastion gateway on 127.0.0.1; "+
		"OpenSSH clients; through the gateway = ProxyCommand `ssh -W %%h:%%p` (transparent proxy).\n\n",
		runtime.Version(), runtime.NumCPU(), cfg.Duration)
	fmt.Fprintln(stdout, "| Measurement | clients | direct to sshd | through the gateway | gateway / direct | errors (direct / gateway) |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---|")
	want := func(op string) bool { return cfg.Ops == "" || strings.Contains(","+cfg.Ops+",", ","+op+",") }
	if want("logins") {
		d := b.logins(ctx, false)
		g := b.logins(ctx, true)
		printSSHRow(stdout, "logins/s (`ssh … true`)", cfg.Concurrency, d, g, "%.1f")
	}
	if want("scp") {
		file := filepath.Join(tmp, "payload")
		if err := writeRandomFile(file, cfg.SCPSize); err != nil {
			return err
		}
		d := b.scp(ctx, file, false)
		g := b.scp(ctx, file, true)
		printSSHRow(stdout, fmt.Sprintf("scp upload MiB/s (%s file)", fmtSize(cfg.SCPSize)), 1, d, g, "%.1f")
	}
	return nil
}

// sshResult is one measurement: a rate, its errors and the first error.
type sshResult struct {
	Rate     float64
	Errors   int
	FirstErr string
}

func printSSHRow(w io.Writer, label string, clients int, d, g sshResult, format string) {
	ratio := "–"
	if d.Rate > 0 {
		ratio = fmt.Sprintf("%.2f×", g.Rate/d.Rate)
	}
	errs := fmt.Sprintf("%d / %d", d.Errors, g.Errors)
	for _, e := range []string{d.FirstErr, g.FirstErr} {
		if e != "" {
			errs += "; " + strings.ReplaceAll(e, "|", "/")
		}
	}
	fmt.Fprintf(w, "| %s | %d | "+format+" | "+format+" | %s | %s |\n", label, clients, d.Rate, g.Rate, ratio, errs)
}

func fmtSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func writeRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// start starts the sshd and the server and makes the bastion objects; the
// returned function stops what was started (also on error).
func (b *sshBench) start(ctx context.Context, tmp string, logf func(string, ...any)) (func(), error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if _, _, err := sshtest.Binaries(); err != nil {
		return stop, err
	}
	sshdDir := filepath.Join(tmp, "sshd")
	cliDir := filepath.Join(tmp, "client")
	for _, d := range []string{sshdDir, cliDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return stop, err
		}
	}
	var err error
	if b.sshd, err = sshtest.Start(sshdDir); err != nil {
		return stop, err
	}
	stops = append(stops, b.sshd.Close)
	if b.cli, err = sshtest.NewClient(cliDir); err != nil {
		return stop, err
	}
	b.direct = sshtest.Login{User: b.sshd.Account.Name, KeyFile: b.sshd.Account.KeyFile}
	b.bastn = sshtest.Login{User: sshBenchUser, Password: sshBenchPassword}
	p, err := b.startServer(ctx, tmp, logf)
	if err != nil {
		return stop, err
	}
	stops = append(stops, p.stop)
	if err := b.makeObjects(p.base); err != nil {
		return stop, fmt.Errorf("%w; server log: %s", err, strings.TrimSpace(p.stderr.String()))
	}
	return stop, nil
}

// startServer builds (unless --server-bin) and starts localyun serve with
// the gateway on a free base address.
func (b *sshBench) startServer(ctx context.Context, tmp string, logf func(string, ...any)) (*proc, error) {
	bin := b.cfg.ServerBin
	if bin == "" {
		bin = filepath.Join(tmp, "localyun")
		logf("building localyun → %s", bin)
		if err := buildServer(ctx, bin); err != nil {
			return nil, err
		}
	}
	key, err := benchMasterKey(b.cfg.Dir)
	if err != nil {
		return nil, err
	}
	seed := filepath.Join(tmp, "seed.yaml")
	doc := fmt.Sprintf("accounts:\n  - id: %q\n    name: bench\n    access_keys:\n      - {id: %s, secret: %s}\n"+
		"    bastionhost:\n      instances:\n        - {id: %s, region: %s}\n", benchAccount, benchKeyID, benchKeySecret, sshBenchInstance, benchRegion)
	if err := os.WriteFile(seed, []byte(doc), 0o600); err != nil {
		return nil, err
	}
	if b.gw, err = freeAddr(); err != nil {
		return nil, err
	}
	return startProc(ctx, bin, []string{"serve", "--addr", "ADDR", "--store", "sqlite:" + filepath.Join(tmp, "ssh.db"), "--seed", seed,
		"--master-key-file", key, "--tls-addr", "off", "--quiet", "--ssh-addr", b.gw}, nil)
}

// makeObjects makes the host (the sshd), its account (the sshd account's
// key), the bastion user and the grant, through the API.
func (b *sshBench) makeObjects(base string) error {
	c := &caller{base: base, client: &http.Client{Timeout: 20 * time.Second}, nonce: randomNonce()}
	call := func(action string, kv ...string) (map[string]any, error) {
		return c.bastion(action, append([]string{"InstanceId", sshBenchInstance}, kv...))
	}
	host, err := call("CreateHost", "HostName", "sshd", "OSType", "Linux", "Source", "Local",
		"ActiveAddressType", "Private", "HostPrivateAddress", b.sshd.Host)
	if err != nil {
		return err
	}
	hostID := fmt.Sprint(host["HostId"])
	if _, err := call("ModifyHostsPort", "HostIds", `["`+hostID+`"]`, "ProtocolName", "SSH", "Port", strconv.Itoa(b.sshd.Port)); err != nil {
		return err
	}
	acct, err := call("CreateHostAccount", "HostId", hostID, "HostAccountName", b.sshd.Account.Name, "ProtocolName", "SSH",
		"PrivateKey", base64.StdEncoding.EncodeToString(b.sshd.Account.PrivateKey))
	if err != nil {
		return err
	}
	user, err := call("CreateUser", "UserName", sshBenchUser, "Source", "Local", "Password", sshBenchPassword)
	if err != nil {
		return err
	}
	_, err = call("AttachHostAccountsToUser", "UserId", fmt.Sprint(user["UserId"]),
		"Hosts", fmt.Sprintf(`[{"HostId":"%s","HostAccountIds":["%v"]}]`, hostID, acct["HostAccountId"]))
	return err
}

func randomNonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%x-", b)
}

// bastion sends one signed Bastionhost call and decodes its JSON answer.
func (c *caller) bastion(action string, kv []string) (map[string]any, error) {
	q := c.signedQuery("2019-12-09", action, kv)
	resp, err := c.client.Post(c.base+"/?"+q, "application/x-www-form-urlencoded", http.NoBody)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d: %v", action, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %v", action, resp.StatusCode, body)
	}
	return body, nil
}

// target is how a measurement's client reaches the sshd's port (portFlag:
// ssh's -p or scp's -P): directly, or through the gateway's transparent
// proxy.
func (b *sshBench) target(viaGateway bool, portFlag string) []string {
	args := []string{portFlag, strconv.Itoa(b.sshd.Port)}
	if viaGateway {
		args = append(b.cli.ProxyOptions(b.bastn, b.gw), args...)
	}
	return args
}

// login is the client's own login to the sshd: by key directly; through
// the gateway by the host account's name alone (the gateway holds the key).
func (b *sshBench) login(viaGateway bool) sshtest.Login {
	if viaGateway {
		return sshtest.Login{User: b.sshd.Account.Name}
	}
	return b.direct
}

// logins runs Concurrency clients logging in and running `true` in a loop
// for Duration and returns logins per second.
func (b *sshBench) logins(ctx context.Context, viaGateway bool) sshResult {
	l := b.login(viaGateway)
	args := append(b.target(viaGateway, "-p"), l.User+"@"+b.sshd.Host, "true")
	var ok, failed atomic.Int64
	var first sync.Once
	var firstErr string
	deadline := time.Now().Add(b.cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < b.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				out, err := b.cli.Command(ctx, l, "ssh", args...).CombinedOutput()
				if err != nil {
					failed.Add(1)
					first.Do(func() { firstErr = fmt.Sprintf("%v: %.200s", err, strings.TrimSpace(string(out))) })
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return sshResult{Rate: float64(ok.Load()) / time.Since(start).Seconds(), Errors: int(failed.Load()), FirstErr: firstErr}
}

// scp copies file up in a loop for Duration (at least once) and returns
// MiB per second.
func (b *sshBench) scp(ctx context.Context, file string, viaGateway bool) sshResult {
	l := b.login(viaGateway)
	args := append([]string{"-q"}, b.target(viaGateway, "-P")...)
	args = append(args, file, l.User+"@"+b.sshd.Host+":payload")
	var res sshResult
	var bytes int64
	start := time.Now()
	for time.Since(start) < b.cfg.Duration || bytes == 0 && res.Errors == 0 {
		out, err := b.cli.Command(ctx, l, "scp", args...).CombinedOutput()
		if err != nil {
			res.Errors++
			if res.FirstErr == "" {
				res.FirstErr = fmt.Sprintf("%v: %.200s", err, strings.TrimSpace(string(out)))
			}
			if ctx.Err() != nil || res.Errors > 3 {
				break
			}
			continue
		}
		bytes += b.cfg.SCPSize
	}
	res.Rate = float64(bytes) / (1 << 20) / time.Since(start).Seconds()
	return res
}
