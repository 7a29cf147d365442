package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/localyun/localyun/internal/sshgw"
)

// sshStats returns the SSH gateway's counts for /metrics, nil when the
// gateway is off.
func (m *Main) sshStats() func() sshgw.Stats {
	if m.ssh == nil {
		return nil
	}
	return m.ssh.Stats
}

// opsCommand runs export, import and reset (args[0]).
func opsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var err error
	switch args[0] {
	case "export":
		err = exportCommand(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		err = importCommand(ctx, args[1:], getenv, stdout, stderr)
	default:
		err = resetCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if h, ok := errors.AsType[*helpRequest](err); ok {
		fmt.Fprint(stdout, h.text)
		return nil
	}
	return err
}

func resetCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("reset: not yet")
}
