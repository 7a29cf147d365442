package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/sshgw"
)

// The bastion SSH gateway (internal/sshgw): one listener per bastion
// instance, on consecutive ports from --ssh-addr (default 127.0.0.1:60022)
// in the order the gateway first met the instances (kept in the store, so
// ports and host keys stay across restarts). --ssh-addr off disables it.
// A busy default port turns the gateway off with a line in the banner; a
// busy port given with --ssh-addr or LOCALYUN_SSH_ADDR fails the start.

// SSHConfig holds the gateway's settings (Config.SSH).
type SSHConfig struct {
	// Addr is the base address; "" is sshgw.DefaultAddr (a busy port
	// there is not an error), "off" disables the gateway.
	Addr string
	// Revoke is terminate, keep or grace=<duration> ("" is terminate).
	Revoke string
}

// flags defines the gateway's flags on fs.
func (c *SSHConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "ssh-addr", c.Addr, "base address of the bastion SSH gateway: each bastion instance listens on the next port; off for none (env LOCALYUN_SSH_ADDR; default "+sshgw.DefaultAddr+")")
	fs.StringVar(&c.Revoke, "ssh-revoke", c.Revoke, "what revoking access does to a live SSH session: terminate, keep or grace=<duration> (env LOCALYUN_SSH_REVOKE; default terminate)")
}

// fromEnv sets the settings whose flags were not given from LOCALYUN_*
// variables, through LoadConfig's env.
func (c *SSHConfig) fromEnv(env func(flagName, envName string, apply func(string) error) error) error {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	return errors.Join(
		env("ssh-addr", "LOCALYUN_SSH_ADDR", str(&c.Addr)),
		env("ssh-revoke", "LOCALYUN_SSH_REVOKE", str(&c.Revoke)),
	)
}

// check reports settings that cannot work.
func (c *SSHConfig) check() error {
	if _, err := sshgw.ParseRevoke(c.Revoke); err != nil {
		return fmt.Errorf("--ssh-revoke %w", err)
	}
	if c.Addr == "" || strings.EqualFold(c.Addr, "off") {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--ssh-addr %q: want host:port or off", c.Addr)
	}
	return nil
}

// startSSH starts the gateway over the store, once it is open and seeded,
// and returns the banner's lines about it.
func (m *Main) startSSH(ctx context.Context) (string, error) {
	c := m.Config.SSH
	if strings.EqualFold(c.Addr, "off") {
		return "", nil
	}
	addr := c.Addr
	if addr == "" {
		addr = sshgw.DefaultAddr
	}
	revoke, err := sshgw.ParseRevoke(c.Revoke)
	if err != nil {
		return "", err
	}
	// Access is decided by a service of its own over the same store: every
	// change, made through any node, reaches the gateway through the
	// store's ListenAccessChanges.
	svc := bastionhost.NewService(m.store, bastionhost.Options{})
	g := sshgw.New(sshgw.Options{Access: svc, Store: m.store, Addr: addr, Revoke: revoke, Logger: m.Logger})
	if err := g.Start(ctx); err != nil {
		if c.Addr == "" && errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Sprintf("  ssh:   off: %s (the default --ssh-addr %s is busy; choose another with --ssh-addr)\n", err, addr), nil
		}
		return "", fmt.Errorf("--ssh-addr %s: %w (choose another with --ssh-addr, or --ssh-addr off)", addr, err)
	}
	m.ssh = g
	var b strings.Builder
	for _, l := range g.Listeners() {
		fmt.Fprintf(&b, "  ssh:   %s  %s (host key %s, revoke: %s)\n", l.Addr, l.InstanceID, l.HostKey, revoke)
	}
	return b.String(), nil
}

// SSHAddr returns the address of a bastion instance's SSH listener, "" if
// it has none.
func (m *Main) SSHAddr(instanceID string) string {
	if m.ssh == nil {
		return ""
	}
	return m.ssh.Addr(instanceID)
}

// sshEndpoints returns what the API shows as each bastion instance's O&M
// endpoint (server.Options.BastionSSHAddr): the address of the instance's
// listener in this process, with an unspecified host (--ssh-addr
// 0.0.0.0:60022) shown as loopback; "" for an instance the gateway does
// not listen for (created after it started: it listens from the next
// start). Nil when the gateway is off.
func (m *Main) sshEndpoints() func(instanceID string) string {
	g := m.ssh
	if g == nil {
		return nil
	}
	return func(instanceID string) string {
		addr := g.Addr(instanceID)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return ""
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
			if ip.To4() == nil {
				host = "::1"
			}
		}
		return net.JoinHostPort(host, port)
	}
}

// closeSSH stops the gateway, ending its sessions.
func (m *Main) closeSSH() {
	if m.ssh != nil {
		m.ssh.Close()
		m.ssh = nil
	}
}
