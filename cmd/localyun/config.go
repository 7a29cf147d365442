package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Config is the configuration of `localyun serve`.
type Config struct {
	Addr    string // listen address
	DataDir string // holds the SQLite database and the generated credentials
	Store   string // "sqlite:PATH" or "postgres://..."; empty: <DataDir>/localyun.db
	Seed    string // YAML seed file, applied at every start
	Memory  bool   // no disk at all
	Quiet   bool   // no banner
	// MasterKeyFile holds the 32-byte key that seals secrets at rest;
	// created (mode 0600) when absent. Empty: <DataDir>/master.key.
	MasterKeyFile string
	// RateLimit is the requests per second one AccessKey may make; 0 is
	// unlimited.
	RateLimit float64
}

// DefaultConfig returns the defaults: loopback, ./.localyun.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: ".localyun"}
}

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
	fs.BoolVar(&c.Memory, "memory", c.Memory, "keep all state in memory, write nothing to disk (env LOCALYUN_MEMORY)")
	fs.BoolVar(&c.Quiet, "quiet", c.Quiet, "print no start-up banner (env LOCALYUN_QUIET)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "key sealing secrets at rest, created with mode 0600 when absent (env LOCALYUN_MASTER_KEY_FILE); default <data-dir>/master.key")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "requests per second per AccessKey, 0 for none (env LOCALYUN_RATE_LIMIT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
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
		env("quiet", "LOCALYUN_QUIET", boolean(&c.Quiet)),
		env("master-key-file", "LOCALYUN_MASTER_KEY_FILE", str(&c.MasterKeyFile)),
		env("rate-limit", "LOCALYUN_RATE_LIMIT", func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.RateLimit = f
			return err
		}),
	)
	if err != nil {
		return c, err
	}
	if c.RateLimit < 0 {
		return c, fmt.Errorf("--rate-limit %v: must not be negative", c.RateLimit)
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "sqlite:") && !isPostgres(c.Store) {
		return c, fmt.Errorf("--store %q: want sqlite:PATH or postgres://URL", c.Store)
	}
	if isPostgres(c.Store) && c.MasterKeyFile == "" {
		// Every node of a shared database must seal and open secrets with
		// the same key, so it cannot default to a per-node file.
		return c, fmt.Errorf("--store postgres://...: also pass --master-key-file (the same file on every node)")
	}
	return c, nil
}
