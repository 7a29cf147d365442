package sshgw

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// Logins. A user logs in to an instance's listener with its bastion user
// name and its password, a public key registered for it, or an O&M token
// (GenerateAssetOperationToken) typed as the password. The checks, and the
// lockout after repeated failures, are the Bastionhost service's; a refused
// login tells the client no more than SSH's "Permission denied".

// Extensions of ssh.Permissions that carry a login to the connection.
const (
	extUserID    = "localyun-user-id"
	extUserName  = "localyun-user-name"
	extMethod    = "localyun-method" // password, publickey, token
	extHostID    = "localyun-token-host-id"
	extAccountID = "localyun-token-account-id"
	extExpires   = "localyun-token-expires" // Unix nanoseconds
)

// tokenLen is the length of an O&M token: 32 random bytes, base64url
// without padding.
const tokenLen = 43

// looksLikeToken reports whether a password has an O&M token's shape; it
// is then tried as a token first (a failed check counts once toward the
// lockout whichever it was meant as, as long as it is not both).
func looksLikeToken(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// serverCiphers are the ciphers the gateway's SSH servers offer: the
// AES-GCM and AES-CTR modes, which Go runs on the CPU's AES instructions.
// ChaCha20-Poly1305 is left out: OpenSSH clients list it first and the
// server takes the client's first choice it supports, and on the
// transparent proxy path every byte is decrypted twice and encrypted once
// in this process (scp through the gateway: 0.60 of direct with it, 0.67-
// 0.69 without, localyun-bench ssh). Any OpenSSH since 2013 has AES-GCM.
var serverCiphers = []string{ssh.CipherAES128GCM, ssh.CipherAES256GCM, ssh.CipherAES128CTR, ssh.CipherAES192CTR, ssh.CipherAES256CTR}

// serverConfig is the SSH server configuration of one connection to an
// instance's listener; att collects its refused logins' events.
func (g *Gateway) serverConfig(l *instanceListener, att *loginAttempts) *ssh.ServerConfig {
	conf := &ssh.ServerConfig{
		Config:        ssh.Config{Ciphers: serverCiphers},
		ServerVersion: "SSH-2.0-localyun",
		MaxAuthTries:  6,
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			return g.checkPassword(l, c, att, string(pw))
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
			defer cancel()
			u, err := g.opts.Access.CheckUserPublicKey(ctx, l.instanceID, c.User(), key.Marshal())
			if err != nil {
				return nil, g.loginError(l, c, att, "publickey", err)
			}
			return userPermissions(u, "publickey"), nil
		},
	}
	conf.AddHostKey(l.signer)
	return conf
}

// checkPassword checks a password login: the user's password, or an O&M
// token.
func (g *Gateway) checkPassword(l *instanceListener, c ssh.ConnMetadata, att *loginAttempts, pw string) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
	defer cancel()
	instanceID, user := l.instanceID, c.User()
	if looksLikeToken(pw) {
		u, hostID, accountID, expires, err := g.opts.Access.CheckOperationToken(ctx, instanceID, user, pw)
		if err == nil {
			p := userPermissions(u, "token")
			p.Extensions[extHostID] = hostID
			p.Extensions[extAccountID] = accountID
			p.Extensions[extExpires] = strconv.FormatInt(expires.UnixNano(), 10)
			return p, nil
		}
		if !isLoginFailed(err) {
			return nil, g.loginError(l, c, att, "token", err)
		}
	}
	u, err := g.opts.Access.CheckUserPassword(ctx, instanceID, user, pw)
	if err != nil {
		return nil, g.loginError(l, c, att, "password", err)
	}
	return userPermissions(u, "password"), nil
}

func userPermissions(u localyun.BastionUser, method string) *ssh.Permissions {
	return &ssh.Permissions{Extensions: map[string]string{
		extUserID: u.ID, extUserName: u.Name, extMethod: method,
	}}
}

// errLogin is what a refused client is told (nothing more: SSH shows
// "Permission denied").
var errLogin = errors.New("login refused")

// isLoginFailed reports a wrong user name or credential, after which a
// password is also tried as the other kind; other refusals (a lockout, a
// locked user) are final.
func isLoginFailed(err error) bool { return errors.Is(err, bastionhost.ErrLoginFailed) }

// loginError logs a refused login (never the credential), records its
// event (audit.go) and returns errLogin.
func (g *Gateway) loginError(l *instanceListener, c ssh.ConnMetadata, att *loginAttempts, method string, err error) error {
	g.stats.login(method, err) // metrics (stats.go)
	g.refused(l, c, att, method, err)
	instanceID, user := l.instanceID, c.User()
	level := slog.LevelInfo
	if method == "publickey" && isLoginFailed(err) {
		level = slog.LevelDebug // clients offer every key they have
	}
	g.opts.Logger.Log(g.ctx, level, "ssh login refused", "instance", instanceID, "user", user, "method", method, "err", err)
	return errLogin
}
