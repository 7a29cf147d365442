package server_test

import (
	"io"
	"log/slog"
	"os"
)

// benchAccessLog is the access log of the benchmarks' server: off, or
// with LOCALYUN_BENCH_ACCESS_LOG=text|json, that format to io.Discard
// (its cost is the formatting, not the write).
func benchAccessLog() *slog.Logger {
	switch os.Getenv("LOCALYUN_BENCH_ACCESS_LOG") {
	case "text":
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	case "json":
		return slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return nil
}
