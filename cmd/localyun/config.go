package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of `localyun serve`.
type Config struct {
	Addr    string // listen address
	DataDir string // holds the SQLite database and the generated credentials
	Store   string // "sqlite:PATH" or "postgres://..."; empty: <DataDir>/localyun.db
	Seed    string // YAML seed file, applied at every start
	Memory  bool   // API state in memory only (the HTTPS CA still lives in DataDir)
	Demo    bool   // also apply the built-in demo world (demo.go)
	// TLSAddr is the HTTPS listen address; "" or "off": no HTTPS.
	TLSAddr string
	// TLSCert and TLSKey are PEM files of the HTTPS certificate (chain)
	// and its key; empty: a leaf issued at each start by the local CA in
	// DataDir (ca.pem, ca-key.pem), created on first use.
	TLSCert, TLSKey string
	Quiet           bool // no banner
	// Console serves the web console at /console (default on).
	Console bool
	// MasterKeyFile holds the 32-byte key that seals secrets at rest;
	// created (mode 0600) when absent. Empty: <DataDir>/master.key.
	MasterKeyFile string
	// RateLimit is the requests per second one AccessKey may make; 0 is
	// unlimited.
	RateLimit float64
	// Limits bound what slow and greedy clients can hold.
	Limits Limits
	// ClockOffset is added to the machine's clock for everything the API
	// does (signature times, session expiry): hidden, for the tests of
	// clients' refresh rules (LOCALYUN_TEST_CLOCK_OFFSET, a duration).
	ClockOffset time.Duration
	// MetadataCredentialTTL is the lifetime of instance credentials; 0 is 6h.
	MetadataCredentialTTL time.Duration
	// Revocation is "tail" ("" too) or "strict"; see server.Options.
	Revocation string
	// MetadataAddr is the listen address of a plain metadata service
	// listener, for users who alias 100.100.100.200 on loopback; "": none.
	MetadataAddr string
	// MetadataInstance is the instance MetadataAddr answers as.
	MetadataInstance string

	// SSH is the bastion SSH gateway's settings (issue 15; ssh.go).
	SSH SSHConfig
	// AuditRetention is how long audit events are kept; 0: 90 days (config_audit.go).
	AuditRetention time.Duration
	// Log is the log format and the access log (issue 16; logging.go).
	Log LogConfig
}

// Limits bound what one client can hold of the server: time, connections
// and memory.
type Limits struct {
	// ReadHeaderTimeout is the time a client has to send a request header,
	// from its first byte (from the connection's opening for the first).
	ReadHeaderTimeout time.Duration
	// ReadTimeout is the time a client has to send a request body after
	// its header; a late body is answered 408 RequestTimeout.
	ReadTimeout time.Duration
	// WriteTimeout is the time from the end of a request header to the end
	// of its answer: the body, the handling and a client that does not read.
	WriteTimeout time.Duration
	// MaxConns caps the open client connections; 0 derives it from the
	// descriptor limit (see connCaps).
	MaxConns int
	// MaxConnsPerIP caps the connections from one client address; 0 is
	// half of MaxConns.
	MaxConnsPerIP int
	// MaxBodyMemory is the most memory all request bodies being read may
	// hold at once, in bytes; a quarter is kept for bodies of at most
	// 64 KiB. The default, 4 MiB, holds three bodies of the largest size
	// (1 MiB) and thousands of the usual few-hundred-byte ones; it also
	// keeps a flood of large bodies from crowding out other requests, as
	// it bounds how many are handled at once.
	MaxBodyMemory int64
}

// DefaultConfig returns the defaults: loopback, ./.localyun.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", TLSAddr: "127.0.0.1:8443", DataDir: ".localyun", Limits: DefaultLimits(),
		Log: LogConfig{Format: "text"}, Console: true}
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		MaxBodyMemory: 4 << 20}
}

// minBodyMemory is the smallest --max-body-memory: its three quarters
// hold a body of the largest size.
const minBodyMemory = 2 << 20

// LoadConfig parses serve's flags; LOCALYUN_* environment variables fill
// what the flags leave unset. It is pure: getenv is passed in.
func LoadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env LOCALYUN_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory holding the SQLite database (env LOCALYUN_DATA_DIR)")
	fs.StringVar(&c.Store, "store", c.Store, "store: sqlite:PATH or postgres://... (env LOCALYUN_STORE); default <data-dir>/localyun.db")
	fs.StringVar(&c.Seed, "seed", c.Seed, "YAML seed file applied at every start (env LOCALYUN_SEED)")
	fs.BoolVar(&c.Memory, "memory", c.Memory, "keep all state in memory; only the HTTPS CA is written, to --data-dir (env LOCALYUN_MEMORY)")
	c.tlsFlags(fs)
	fs.BoolVar(&c.Quiet, "quiet", c.Quiet, "print no start-up banner (env LOCALYUN_QUIET)")
	fs.BoolVar(&c.Console, "console", c.Console, "serve the web console at /console; --console=false turns it off (env LOCALYUN_CONSOLE)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "key sealing secrets at rest, created with mode 0600 when absent (env LOCALYUN_MASTER_KEY_FILE); default <data-dir>/master.key")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "requests per second per AccessKey, 0 for none (env LOCALYUN_RATE_LIMIT)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "also apply the built-in demo world at every start, with its documented keys; see README (env LOCALYUN_DEMO)")
	c.Limits.flags(fs)
	c.credentialFlags(fs)
	c.auditFlags(fs) // issue 16: audit trail (config_audit.go)
	fs.StringVar(&c.MetadataAddr, "metadata-addr", c.MetadataAddr, "also serve the instance metadata service, as --metadata-instance, on this address, e.g. 100.100.100.200:80 aliased on loopback (env LOCALYUN_METADATA_ADDR)")
	fs.StringVar(&c.MetadataInstance, "metadata-instance", c.MetadataInstance, "the instance the --metadata-addr listener answers as (env LOCALYUN_METADATA_INSTANCE)")
	c.SSH.flags(fs) // issue 15: bastion SSH gateway (ssh.go)
	c.Log.flags(fs) // issue 16: log format, access log (logging.go)
	if err := parseFlags(fs, args, "localyun serve [flags]"); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError(fmt.Sprintf("serve: unexpected argument %q (serve takes only flags; see localyun serve --help)", fs.Arg(0)))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	env := func(flagName, envName string, apply func(string) error) error {
		if set[flagName] {
			return nil
		}
		if v := getenv(envName); v != "" {
			if err := apply(v); err != nil {
				return fmt.Errorf("%s: %w", envName, err)
			}
		}
		return nil
	}
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	boolean := func(p *bool) func(string) error {
		return func(v string) error {
			b, err := strconv.ParseBool(v)
			*p = b
			return err
		}
	}
	err := errors.Join(
		env("addr", "LOCALYUN_ADDR", str(&c.Addr)),
		env("data-dir", "LOCALYUN_DATA_DIR", str(&c.DataDir)),
		env("store", "LOCALYUN_STORE", str(&c.Store)),
		env("seed", "LOCALYUN_SEED", str(&c.Seed)),
		env("memory", "LOCALYUN_MEMORY", boolean(&c.Memory)),
		c.tlsFromEnv(env),
		env("quiet", "LOCALYUN_QUIET", boolean(&c.Quiet)),
		env("console", "LOCALYUN_CONSOLE", boolean(&c.Console)),
		env("demo", "LOCALYUN_DEMO", boolean(&c.Demo)),
		env("master-key-file", "LOCALYUN_MASTER_KEY_FILE", str(&c.MasterKeyFile)),
		env("rate-limit", "LOCALYUN_RATE_LIMIT", func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.RateLimit = f
			return err
		}),
		c.Limits.fromEnv(env),
		c.credentialsFromEnv(env),
		env("metadata-addr", "LOCALYUN_METADATA_ADDR", str(&c.MetadataAddr)),
		env("metadata-instance", "LOCALYUN_METADATA_INSTANCE", str(&c.MetadataInstance)),
		c.SSH.fromEnv(env), // issue 15: bastion SSH gateway (ssh.go)
		c.auditFromEnv(env),
		c.Log.fromEnv(env), // issue 16 (logging.go)
	)
	if err != nil {
		return c, err
	}
	err = c.check()
	return c, err
}

// check reports the first setting of c that cannot work, and normalizes
// the TLS settings (see checkTLS).
func (c *Config) check() error {
	if c.RateLimit < 0 {
		return fmt.Errorf("--rate-limit %v: must not be negative", c.RateLimit)
	}
	if err := c.Limits.check(); err != nil {
		return err
	}
	if err := c.checkTLS(); err != nil {
		return err
	}
	if err := c.checkCredentials(); err != nil {
		return err
	}
	if err := c.checkMetadata(); err != nil {
		return err
	}
	if err := c.SSH.check(); err != nil { // issue 15: bastion SSH gateway (ssh.go)
		return err
	}
	if err := c.Log.check(); err != nil { // issue 16 (logging.go)
		return err
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "sqlite:") && !isPostgres(c.Store) {
		return fmt.Errorf("--store %q: want sqlite:PATH or postgres://URL", c.Store)
	}
	if isPostgres(c.Store) && c.MasterKeyFile == "" {
		// Every node of a shared database must seal and open secrets with
		// the same key, so it cannot default to a per-node file.
		return fmt.Errorf("--store postgres://...: also pass --master-key-file (the same file on every node)")
	}
	return nil
}

// helpRequest is what parseFlags returns for -h or --help: the command
// prints text to stdout and exits 0.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return "help requested" }

// parseFlags parses args with fs. On -h or --help it returns a
// *helpRequest holding the usage line and the flags; on a bad flag, a
// usageError naming it.
func parseFlags(fs *flag.FlagSet, args []string, usageLine string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package's own messages: returned instead
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		var text strings.Builder
		fmt.Fprintf(&text, "usage: %s\n\nflags:\n", usageLine)
		fs.SetOutput(&text)
		fs.PrintDefaults()
		fs.SetOutput(out)
		return &helpRequest{text: text.String()}
	}
	return usageError(fmt.Sprintf("%s: %v (localyun %s --help lists the flags)", fs.Name(), err, fs.Name()))
}

// flags defines the flags of l on fs.
func (l *Limits) flags(fs *flag.FlagSet) {
	fs.DurationVar(&l.ReadHeaderTimeout, "read-header-timeout", l.ReadHeaderTimeout, "time to send a request header (env LOCALYUN_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", l.ReadTimeout, "time to send a request body after its header, else 408 (env LOCALYUN_READ_TIMEOUT)")
	fs.DurationVar(&l.WriteTimeout, "write-timeout", l.WriteTimeout, "time from a request header to the end of its answer (env LOCALYUN_WRITE_TIMEOUT)")
	fs.IntVar(&l.MaxConns, "max-conns", l.MaxConns, "most open connections; 0 for the descriptor limit less an eighth (at least 64), at most 10000 (env LOCALYUN_MAX_CONNS)")
	fs.IntVar(&l.MaxConnsPerIP, "max-conns-per-ip", l.MaxConnsPerIP, "most open connections from one client address, 0 for half of --max-conns (env LOCALYUN_MAX_CONNS_PER_IP)")
	fs.Var((*byteSize)(&l.MaxBodyMemory), "max-body-memory", "most memory request bodies may hold at once, e.g. 16MiB (env LOCALYUN_MAX_BODY_MEMORY)")
}

// fromEnv sets the limits whose flags were not given from LOCALYUN_*
// variables, through LoadConfig's env.
func (l *Limits) fromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	duration := func(p *time.Duration) func(string) error {
		return func(v string) error {
			d, err := time.ParseDuration(v)
			*p = d
			return err
		}
	}
	integer := func(p *int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			*p = n
			return err
		}
	}
	return errors.Join(
		env("read-header-timeout", "LOCALYUN_READ_HEADER_TIMEOUT", duration(&l.ReadHeaderTimeout)),
		env("read-timeout", "LOCALYUN_READ_TIMEOUT", duration(&l.ReadTimeout)),
		env("write-timeout", "LOCALYUN_WRITE_TIMEOUT", duration(&l.WriteTimeout)),
		env("max-conns", "LOCALYUN_MAX_CONNS", integer(&l.MaxConns)),
		env("max-conns-per-ip", "LOCALYUN_MAX_CONNS_PER_IP", integer(&l.MaxConnsPerIP)),
		env("max-body-memory", "LOCALYUN_MAX_BODY_MEMORY", (*byteSize)(&l.MaxBodyMemory).Set),
	)
}

// check reports limits that cannot work.
func (l Limits) check() error {
	switch {
	case l.ReadHeaderTimeout <= 0 || l.ReadTimeout <= 0 || l.WriteTimeout <= 0:
		return errors.New("--read-header-timeout, --read-timeout and --write-timeout must be positive")
	case l.WriteTimeout <= l.ReadTimeout:
		return fmt.Errorf("--write-timeout %s must exceed --read-timeout %s: it also covers reading the body", l.WriteTimeout, l.ReadTimeout)
	case l.MaxConns < 0 || l.MaxConnsPerIP < 0:
		return errors.New("--max-conns and --max-conns-per-ip must not be negative")
	case l.MaxBodyMemory < minBodyMemory:
		return fmt.Errorf("--max-body-memory %s: must be at least %s", byteSize(l.MaxBodyMemory), byteSize(minBodyMemory))
	}
	return nil
}

// connCaps returns the connection caps of l for a process that may open
// nofile descriptors (0: unknown). By default the server keeps an eighth of
// its descriptors (at least 64) for its store and logs, and takes at most
// 10,000 connections, about 200 MB of buffers and stacks; one client
// address may hold half of them.
func (l Limits) connCaps(nofile int) (total, perIP int) {
	total = l.MaxConns
	if total == 0 {
		total = 10_000
		if nofile > 0 {
			total = max(1, min(total, nofile-max(64, nofile/8)))
		}
	}
	perIP = l.MaxConnsPerIP
	if perIP == 0 || perIP > total {
		perIP = max(1, total/2)
	}
	return total, perIP
}

// byteSize is a flag.Value for a number of bytes written as 67108864,
// 64MiB, 64M, 512KiB or 1GiB (binary units).
type byteSize int64

func (b byteSize) String() string {
	n := int64(b)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(v string) error {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffixes []string
		size     int64
	}{{[]string{"GiB", "G"}, 1 << 30}, {[]string{"MiB", "M"}, 1 << 20}, {[]string{"KiB", "K"}, 1 << 10}} {
		for _, s := range u.suffixes {
			if rest, ok := strings.CutSuffix(v, s); ok && mult == 1 {
				num, mult = rest, u.size
			}
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q: want a size such as 64MiB", v)
	}
	*b = byteSize(n * mult)
	return nil
}

// tlsFlags defines the HTTPS flags of c on fs.
func (c *Config) tlsFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.TLSAddr, "tls-addr", c.TLSAddr, "HTTPS listen address, off for none (env LOCALYUN_TLS_ADDR)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "HTTPS certificate PEM file, with --tls-key; default: issued by the CA <data-dir>/ca.pem, created on first start (env LOCALYUN_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "HTTPS private key PEM file of --tls-cert (env LOCALYUN_TLS_KEY)")
}

// tlsFromEnv sets the HTTPS settings whose flags were not given from
// LOCALYUN_* variables, through LoadConfig's env; also the hidden
// LOCALYUN_TEST_CLOCK_OFFSET.
func (c *Config) tlsFromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	return errors.Join(
		env("tls-addr", "LOCALYUN_TLS_ADDR", str(&c.TLSAddr)),
		env("tls-cert", "LOCALYUN_TLS_CERT", str(&c.TLSCert)),
		env("tls-key", "LOCALYUN_TLS_KEY", str(&c.TLSKey)),
		env("", "LOCALYUN_TEST_CLOCK_OFFSET", func(v string) error {
			d, err := time.ParseDuration(v)
			c.ClockOffset = d
			return err
		}),
	)
}

// checkTLS reports HTTPS flags that cannot work together, and turns "off"
// into "".
func (c *Config) checkTLS() error {
	if strings.EqualFold(c.TLSAddr, "off") {
		c.TLSAddr = ""
	}
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together: pass both or neither")
	case c.TLSAddr == "" && c.TLSCert != "":
		return errors.New("--tls-cert with --tls-addr off: there is no HTTPS listener to use it")
	}
	return nil
}
