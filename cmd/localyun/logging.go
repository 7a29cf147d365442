package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// LogConfig is how serve logs: the format of every line, and whether each
// request gets an access-log line (server.Options.AccessLog).
type LogConfig struct {
	// Format is "text" (slog's key=value lines, the default) or "json"
	// (one JSON object a line).
	Format string
	// Access turns the access log on: one line per request, at level Info,
	// on stderr with the server's own messages.
	Access bool
}

// flags defines the logging flags on fs.
func (l *LogConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&l.Format, "log-format", l.Format, "log line format: text or json (env LOCALYUN_LOG_FORMAT)")
	fs.BoolVar(&l.Access, "access-log", l.Access, "log one line per request on stderr (env LOCALYUN_ACCESS_LOG; off by default: it costs up to a fifth of the read throughput)")
}

// fromEnv sets the logging settings whose flags were not given from
// LOCALYUN_* variables, through LoadConfig's env.
func (l *LogConfig) fromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	return errors.Join(
		env("log-format", "LOCALYUN_LOG_FORMAT", func(v string) error { l.Format = v; return nil }),
		env("access-log", "LOCALYUN_ACCESS_LOG", func(v string) error {
			b, err := strconv.ParseBool(v)
			l.Access = b
			return err
		}),
	)
}

// check reports a format that is not one.
func (l LogConfig) check() error {
	switch l.Format {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("--log-format %q: want text or json", l.Format)
}

// logger returns a logger writing to w in l's format from level on.
func (l LogConfig) logger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// accessLogger returns the access log of l on w (through b, which buffers
// it), nil when it is off.
func (l LogConfig) accessLogger(b *bufferedLog) *slog.Logger {
	if !l.Access {
		return nil
	}
	return l.logger(b, slog.LevelInfo)
}

// accessFlushEvery is how long an access-log line may wait in memory.
const accessFlushEvery = 100 * time.Millisecond

// bufferedLog is the access log's writer: lines gather in memory and reach
// w at most accessFlushEvery later, or once 64 KiB wait, so that a busy
// server does not make one write(2) per request (at 32 clients a line a
// request written straight to stderr cost about a fifth of the read
// throughput: BENCHMARKS.md, issue 16). Flush writes what waits (Main.Close
// calls it); a process killed with SIGKILL loses at most the last
// accessFlushEvery of lines.
type bufferedLog struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer // the pending flush; nil when none
}

// Write takes one line (slog writes a record in one call).
func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= 64<<10:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(accessFlushEvery, b.Flush)
	}
	return len(p), nil
}

// Flush writes the lines that wait.
func (b *bufferedLog) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *bufferedLog) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) > 0 {
		b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}
