// Command localyun is an Alibaba-Cloud-compatible access-control server:
// ECS instance RAM roles, RAM/STS and Bastionhost authorizations behind
// one port, on persistent state.
//
//	localyun serve [--addr A] [--tls-addr T] [--data-dir D] [--seed FILE] [--demo] [--memory]
//	localyun env [--addr A] [--tls-addr T] [--data-dir D] [--format sh|fish|powershell]
//	localyun migrate --from sqlite:PATH --to postgres://...
//	localyun export --out FILE | import --in FILE [--replace] | reset [--account ID]
//	localyun metadata-url <instance-id> [--addr A] [--data-dir D] [--master-key-file F] [--credentials-uri [--path-secret]]
//	localyun version
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sshgw"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	if err != errUsage { // errUsage alone: the usage was printed already
		fmt.Fprintln(os.Stderr, "localyun:", err)
	}
	if errors.Is(err, errUsage) {
		os.Exit(2) // a command line that cannot run, as the flag package exits
	}
	os.Exit(1)
}

// errUsage marks a command line that cannot run: an unknown command or
// flag, or a missing or extra argument. main exits 2 on it (1 on any other
// error); returned alone, the usage has been printed already.
var errUsage = errors.New("usage")

// usageError is a command line that cannot run, saying why; it is errUsage.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == errUsage }

const usage = `usage:
  localyun serve [flags]   run the API server (localyun serve --help for its flags)
  localyun migrate --from sqlite:PATH --to postgres://...
                           copy all state into an empty PostgreSQL database
  localyun env [flags]     print the client settings for this server (localyun env --help)
  localyun export --out FILE / import --in FILE [--replace]
                           the whole state of a store to a file and back
  localyun reset [--account ID]
                           delete every resource but the accounts and their root keys
  localyun metadata-url <instance-id> [flags]
                           print the HTTP_PROXY value that gives an app that
                           instance's role (localyun metadata-url --help)
  localyun explain access|instance|host|user|decode [flags]
                           why a request is allowed or denied, who can reach
                           what (localyun explain --help)
  localyun version         print the version (also --version)
  localyun help            print this help (also -h, --help)

Exit status: 0 on success and for help, 2 for a command line that cannot run
(unknown command or flag), 1 for any other error.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		cfg, err := LoadConfig(args[1:], getenv, stderr)
		if h, ok := errors.AsType[*helpRequest](err); ok {
			fmt.Fprint(stdout, h.text)
			return nil
		}
		if err != nil {
			return err
		}
		if path := getenv("LOCALYUN_CPUPROFILE"); path != "" {
			// Hidden, for cmd/localyun-bench: profile the whole serve.
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
		m := NewMain(cfg)
		m.Stdout = stdout
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		return m.Close()
	case "migrate":
		err := migrateCommand(ctx, args[1:], stdout, stderr)
		if h, ok := errors.AsType[*helpRequest](err); ok {
			fmt.Fprint(stdout, h.text)
			return nil
		}
		return err
	case "env":
		return envCommand(args[1:], getenv, stdout, stderr)
	case "explain":
		return explainCommand(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "export", "import", "reset": // issue 16 (ops.go)
		return opsCommand(ctx, args, getenv, stdout, stderr)
	case "metadata-url":
		err := metadataURLCommand(args[1:], getenv, stdout, stderr)
		if h, ok := errors.AsType[*helpRequest](err); ok {
			fmt.Fprint(stdout, h.text)
			return nil
		}
		return err
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "localyun", localyun.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "localyun: unknown command %q\n%s", args[0], usage)
	return errUsage
}

// Main is the running server: Run starts it without blocking, Close stops
// it gracefully. Tests build a Main, set Config and call Run.
type Main struct {
	Config Config
	Stdout io.Writer
	Logger *slog.Logger
	// AccessLog gets one line per request (server.Options.AccessLog); nil: none.
	AccessLog *slog.Logger

	store       localyun.Store
	listener    net.Listener
	tlsListener net.Listener // nil without HTTPS
	caPath      string       // the local CA's certificate; "" with --tls-cert or no HTTPS
	http        *http.Server
	https       *http.Server
	served      chan error // one answer per server started
	started     int        // servers started

	masterKey []byte       // seals secrets; the metadata service derives its keys from it
	metaLn    net.Listener // --metadata-addr; nil without
	metaHTTP  *http.Server
	ssh       *sshgw.Gateway // issue 15: bastion SSH gateway (ssh.go); nil when off
	api       *server.Server // its queued audit events are written before the store closes
	accessBuf *bufferedLog   // the access log's lines, written out by Close
}

// NewMain returns a Main for cfg.
func NewMain(cfg Config) *Main {
	buf := &bufferedLog{w: os.Stderr}
	return &Main{Config: cfg, Stdout: io.Discard, Logger: cfg.Log.logger(os.Stderr, slog.LevelWarn),
		AccessLog: cfg.Log.accessLogger(buf), accessBuf: buf}
}

// Addr is the address the server listens on (after Run).
func (m *Main) Addr() string { return m.listener.Addr().String() }

// TLSAddr is the address the HTTPS listener is bound to (after Run), ""
// without HTTPS.
func (m *Main) TLSAddr() string {
	if m.tlsListener == nil {
		return ""
	}
	return m.tlsListener.Addr().String()
}

// Run binds the listeners, then opens the store, applies the seed, and
// starts serving. Nothing is written before both listeners are bound, so
// a busy port leaves no trace (no store, no credentials, no CA).
func (m *Main) Run(ctx context.Context) error {
	started := time.Now()
	var seed *Seed
	if m.Config.Seed != "" {
		var err error
		if seed, err = LoadSeed(m.Config.Seed); err != nil {
			return err
		}
	}
	if err := m.listen(); err != nil {
		return err
	}
	if err := m.listenMetadata(); err != nil {
		return err
	}
	var tlsConf *tls.Config
	tlsNote := ""
	if m.tlsListener != nil {
		host, _, _ := net.SplitHostPort(m.TLSAddr())
		var err error
		if tlsConf, tlsNote, err = m.tlsConfig(host, time.Now()); err != nil {
			return err
		}
	}
	st, storeDesc, err := openStore(ctx, m.Config)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	m.store = st
	if err := m.sealSecrets(st); err != nil {
		return err
	}
	now := time.Now().UTC()
	seeded, err := m.applySeeds(ctx, st, seed, now)
	if err != nil {
		return err
	}
	creds, err := m.ensureAccount(ctx, now)
	if err != nil {
		return err
	}
	nonces, err := replayWindow(ctx, st, time.Now())
	if err != nil {
		return err
	}
	sshNote, err := m.startSSH(ctx) // issue 15: bastion SSH gateway (ssh.go)
	if err != nil {
		return err
	}
	opts := server.Options{Store: st, Nonces: nonces, Logger: m.Logger, AccessLog: m.AccessLog, SSHStats: m.sshStats(),
		RateLimit: m.Config.RateLimit, RateLimiter: sharedRateLimiter(st), MasterKey: m.masterKey, Console: m.Config.Console}
	opts.Revocation, opts.MetadataCredentialTTL = m.Config.Revocation, m.Config.MetadataCredentialTTL
	opts.ListenAddrs = []string{m.Addr()} // the API through HTTP_PROXY (server.Options.ListenAddrs)
	if m.tlsListener != nil {
		opts.ListenAddrs = append(opts.ListenAddrs, m.TLSAddr())
	}
	if off := m.Config.ClockOffset; off != 0 {
		opts.Now = func() time.Time { return time.Now().Add(off) }
	}
	opts.BastionSSHAddr = m.sshEndpoints() // issue 15: the gateway's addresses in the API (ssh.go)
	srv := m.withAudit(ctx, server.New(opts))
	m.serve(srv, tlsConf)
	if !m.Config.Quiet {
		fmt.Fprintf(m.Stdout, "localyun %s listening on http://%s\n", localyun.Version, m.Addr())
		if m.tlsListener != nil {
			fmt.Fprintf(m.Stdout, "  https: https://%s (%s)\n", m.TLSAddr(), tlsNote)
			if m.caPath != "" {
				fmt.Fprintf(m.Stdout, "         trust it: SSL_CERT_FILE=%s (Go), NODE_EXTRA_CA_CERTS=%[1]s (Node); `localyun env` prints every client setting\n", m.caPath)
			}
		}
		fmt.Fprint(m.Stdout, sshNote) // issue 15: bastion SSH gateway
		fmt.Fprintf(m.Stdout, "  store: %s\n  seed:  %s\n  ready in %s\n",
			storeDesc, seeded, time.Since(started).Round(time.Millisecond))
		if creds != "" {
			fmt.Fprint(m.Stdout, creds)
		}
	}
	m.serveMetadata(srv)
	return nil
}

// listen binds the HTTP listener and, unless it is off, the HTTPS one.
func (m *Main) listen() error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	if m.Config.TLSAddr == "" || strings.EqualFold(m.Config.TLSAddr, "off") {
		return nil
	}
	if m.tlsListener, err = net.Listen("tcp", m.Config.TLSAddr); err != nil {
		return fmt.Errorf("--tls-addr %s: %w (choose another with --tls-addr, or --tls-addr off for no HTTPS)", m.Config.TLSAddr, err)
	}
	return nil
}

// serve starts serving h on the listeners, HTTPS with conf.
func (m *Main) serve(h http.Handler, conf *tls.Config) {
	var cl *connLimiter
	m.http, cl = m.httpServer(h, m.listener, nil)
	m.served = make(chan error, 3)
	m.started = 1
	go func() { m.served <- m.http.Serve(cl) }()
	if m.tlsListener == nil {
		return
	}
	var tcl *connLimiter
	m.https, tcl = m.httpServer(h, m.tlsListener, cl)
	m.https.TLSConfig = conf
	m.https.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no HTTP/2
	// Failed handshakes (scanners, clients that do not trust the CA) are
	// the client's news, not the server's.
	m.https.ErrorLog = slog.NewLogLogger(m.Logger.Handler(), slog.LevelDebug)
	m.started++
	go func() { m.served <- m.https.Serve(tls.NewListener(tcl, conf)) }()
}

// bodyBudgetWait is how long a request body waits for room in the
// --max-body-memory budget before it is answered 503.
const bodyBudgetWait = time.Second

// httpServer returns the http.Server of h under the configured limits, and
// ln behind the connection caps: caps of their own, or those of shared.
func (m *Main) httpServer(h http.Handler, ln net.Listener, shared *connLimiter) (*http.Server, *connLimiter) {
	lim := m.Config.Limits
	var cl *connLimiter
	if shared != nil {
		cl = shared.also(ln)
	} else {
		total, perIP := lim.connCaps(openFileLimit())
		cl = newConnLimiter(ln, total, perIP, m.Logger)
	}
	bodies := protocol.NewBodyLimiter(lim.MaxBodyMemory, lim.ReadTimeout, bodyBudgetWait)
	return &http.Server{
		Handler:           bodies.Handler(h),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState:         cl.track,
	}, cl
}

// ensureAccount creates an account with a root AccessKey when the store has
// none, and returns the text announcing it. When the store holds only the
// account an earlier start generated, it returns a line pointing at its
// credentials file instead (never the secret: a restart does not reprint
// it); "" otherwise.
func (m *Main) ensureAccount(ctx context.Context, now time.Time) (string, error) {
	n, err := m.store.CountAccounts(ctx)
	if err != nil {
		return "", err
	}
	if n == 1 {
		return m.generatedCredentials(ctx), nil
	}
	if n > 0 {
		return "", nil
	}
	acct := localyun.Account{ID: "1" + randomDigits(15), Name: "default", CreatedAt: now}
	key := localyun.AccessKey{ID: "LTAI" + strings.ToUpper(randomHex(10))[:20], Secret: randomHex(15), AccountID: acct.ID,
		Status: localyun.AccessKeyActive, CreatedAt: now}
	if err := m.store.CreateAccount(ctx, acct); err != nil {
		return "", err
	}
	if err := m.store.CreateAccessKey(ctx, key); err != nil {
		return "", err
	}
	text := fmt.Sprintf("account_id = %s\naccess_key_id = %s\naccess_key_secret = %s\n", acct.ID, key.ID, key.Secret)
	where := "(not written: --memory)"
	if !m.Config.Memory {
		path := filepath.Join(m.Config.DataDir, "credentials")
		if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return "", err
		}
		where = "(also written to " + path + ")"
	}
	return "  created account " + acct.ID + " with a root AccessKey " + where + ":\n" +
		"    AccessKeyId:     " + key.ID + "\n    AccessKeySecret: " + key.Secret + "\n", nil
}

// generatedCredentials returns the banner line pointing at the credentials
// file in the data dir when the key it holds is an active root key of a
// stored account, "" otherwise (no file, --memory, or a key since deleted).
func (m *Main) generatedCredentials(ctx context.Context) string {
	if m.Config.Memory {
		return ""
	}
	path := filepath.Join(m.Config.DataDir, "credentials")
	buf, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	creds := map[string]string{}
	for line := range strings.Lines(string(buf)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
			creds[k] = v
		}
	}
	key, err := m.store.FindAccessKey(ctx, creds["access_key_id"])
	if err != nil || key.AccountID != creds["account_id"] || key.Status != localyun.AccessKeyActive {
		return ""
	}
	return "  credentials: account " + key.AccountID + ", AccessKeyId " + key.ID +
		"; the AccessKeySecret is in " + path + "\n"
}

// Close stops accepting requests, lets in-flight requests finish, and
// closes the store.
func (m *Main) Close() error {
	var err error
	m.closeSSH() // issue 15: bastion SSH gateway (ssh.go)
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, s := range []*http.Server{m.http, m.https, m.metaHTTP} {
			if s != nil {
				if serr := s.Shutdown(ctx); err == nil {
					err = serr
				}
			}
		}
		for range m.started {
			if serr := <-m.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
				err = serr
			}
		}
		m.http, m.https, m.metaHTTP, m.started = nil, nil, nil, 0
	} else {
		// Run failed before serving: release the ports it bound.
		for _, ln := range []net.Listener{m.listener, m.tlsListener, m.metaLn} {
			if ln != nil {
				ln.Close()
			}
		}
	}
	if m.api != nil {
		m.api.FlushAuditEvents() // the refusals answered before the shutdown
	}
	if m.accessBuf != nil {
		m.accessBuf.Flush()
	}
	if m.store != nil {
		if cerr := m.store.Close(); err == nil {
			err = cerr
		}
		m.store = nil
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:20]
}
