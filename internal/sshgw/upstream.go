package sshgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
)

// The host side: the gateway logs in to a host at its stored address and
// SSH port as the host account, with the account's stored password or
// private key. The host's own host key is not checked: Bastionhost's model
// keeps no host fingerprints (a decision; see the package's README
// section), and hosts are reached on the operator's network.

// hostAddr is the address the gateway reaches a host's SSH at: its active
// address (public or private) and its SSH port (22 unless ModifyHostsPort
// changed it).
func hostAddr(h localyun.BastionHost) string {
	addr := h.PrivateAddress
	if h.ActiveAddressType == localyun.BastionAddressPublic || addr == "" {
		if h.PublicAddress != "" {
			addr = h.PublicAddress
		}
	}
	return net.JoinHostPort(addr, strconv.Itoa(h.SSHPortOrDefault()))
}

// errHost is a failure to reach or log in to a host, in words the user may
// read: it never holds a credential.
type errHost struct{ msg string }

func (e *errHost) Error() string { return e.msg }

// dialHost logs in to the host of a as its account. The error is an
// *errHost, or the context's.
func (g *Gateway) dialHost(ctx context.Context, instanceID string, a localyun.BastionAccess) (*ssh.Client, error) {
	addr := hostAddr(a.Host)
	secret, err := g.opts.Access.HostAccountCredential(ctx, instanceID, a.Account.ID)
	if err != nil {
		g.opts.Logger.Warn("ssh host credential", "instance", instanceID, "account", a.Account.ID, "err", err)
		return nil, &errHost{fmt.Sprintf("the credential of %s on %s cannot be read", a.Account.Name, a.Host.Name)}
	}
	auth, err := authMethods(secret)
	if err != nil {
		g.opts.Logger.Warn("ssh host credential", "instance", instanceID, "account", a.Account.ID, "err", err)
		return nil, &errHost{fmt.Sprintf("the stored credential of %s on %s is not usable", a.Account.Name, a.Host.Name)}
	}
	conf := &ssh.ClientConfig{User: a.Account.Name, Auth: auth, Timeout: g.opts.DialTimeout,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), ClientVersion: "SSH-2.0-localyun-bastion"}
	ctx, cancel := context.WithTimeout(ctx, g.opts.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &errHost{fmt.Sprintf("cannot reach %s (%s): %v", a.Host.Name, addr, err)}
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() }) // the handshake's bound
	c, chans, reqs, err := ssh.NewClientConn(nc, addr, conf)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		nc.Close()
		return nil, &errHost{fmt.Sprintf("cannot log in to %s as %s", a.Host.Name, a.Account.Name)}
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// authMethods are the ways to log in with a stored credential: the
// private key first when there is one, then the password (also answered
// to keyboard-interactive prompts).
func authMethods(s localyun.BastionSecret) ([]ssh.AuthMethod, error) {
	var out []ssh.AuthMethod
	if s.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if s.PassPhrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(s.PrivateKey), []byte(s.PassPhrase))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(s.PrivateKey))
		}
		if err != nil {
			return nil, errors.New("private key does not parse")
		}
		out = append(out, ssh.PublicKeys(signer))
	}
	if s.Password != "" {
		pw := s.Password
		out = append(out, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(out) == 0 {
		return nil, errors.New("no password and no private key")
	}
	return out, nil
}
