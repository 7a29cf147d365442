package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
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
	fs.BoolVar(&l.Access, "access-log", l.Access, "log one line per request on stderr; --access-log=false for none (env LOCALYUN_ACCESS_LOG)")
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

// accessLogger returns the access log of l on w, nil when it is off.
func (l LogConfig) accessLogger(w io.Writer) *slog.Logger {
	if !l.Access {
		return nil
	}
	return l.logger(w, slog.LevelInfo)
}
