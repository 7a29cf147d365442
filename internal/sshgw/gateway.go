// Package sshgw is the bastion SSH gateway: the data plane of Bastionhost.
// Each bastion instance has a listener of its own (consecutive ports from
// a base address, in the order the gateway first met the instances, kept
// in the store with the instance's host key) where its users log in with
// their password, a registered public key or an O&M token, and then
//
//   - pick a host account from a menu (a session with a pty), or name it in
//     an exec request (`ssh -p 60022 alice@gw root@web-1 uptime`), or
//   - go straight to a host through the transparent proxy: a direct-tcpip
//     channel (`ssh -W host:port`, ProxyJump) to the host's address, on
//     which the gateway terminates the inner SSH connection itself and takes
//     its user name as the host account's name.
//
// Either way the gateway logs in to the host with the host account's
// stored credential, which the user never sees, and bridges the session.
//
// Whether a user may use a host account is the Bastionhost service's
// decision (EffectiveAccess, MayUse), asked afresh at every login and
// every re-check: nothing here caches it. Every live session is registered;
// when access may have changed in an instance (the service's AccessWatcher
// hook, the store's change notifications, a validity period ending) each
// live session of that instance is checked again and, by the revocation
// mode, ended with a message, kept, or ended after a grace period.
package sshgw

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auditq"
)

// Access is what the gateway asks the Bastionhost service
// (*bastionhost.Service satisfies it): the login checks and who may use
// which host account now.
type Access interface {
	EffectiveAccess(ctx context.Context, instanceID, userID string) ([]localyun.BastionAccess, error)
	MayUse(ctx context.Context, instanceID, userID, hostID, accountID string) (bool, error)
	CheckUserPassword(ctx context.Context, instanceID, userName, password string) (localyun.BastionUser, error)
	CheckUserPublicKey(ctx context.Context, instanceID, userName string, key []byte) (localyun.BastionUser, error)
	CheckOperationToken(ctx context.Context, instanceID, userName, token string) (u localyun.BastionUser, hostID, accountID string,
		expiresAt time.Time, err error)
	HostAccountCredential(ctx context.Context, instanceID, accountID string) (localyun.BastionSecret, error)
}

// Store is what the gateway keeps and reads itself: its host keys and port
// slots, the session records, and users (only to learn when a user's
// validity period ends, the instant to check its sessions again; whether
// it may go on is MayUse's answer).
type Store interface {
	localyun.BastionSSHHostKeyStore
	CreateBastionSession(ctx context.Context, s localyun.BastionSession) (localyun.BastionSession, error)
	EndBastionSession(ctx context.Context, instanceID, id string, endedAt time.Time, reason string) error
	FindBastionUser(ctx context.Context, instanceID, id string) (localyun.BastionUser, error)
	// FindBastionUsers finds the user a refused login named, and
	// AppendEvents writes the refusals' events (audit.go).
	FindBastionUsers(ctx context.Context, f localyun.BastionUserFilter) ([]localyun.BastionUser, int, error)
	AppendEvents(ctx context.Context, events []localyun.Event) error
	// ListenAccessChanges tells of the writes that can remove access, on
	// every node sharing the database.
	ListenAccessChanges(ctx context.Context, fn func(instanceID string)) error
}

// DefaultAddr is the default base address: the first instance listens on
// 127.0.0.1:60022, the next on 60023, and so on.
const DefaultAddr = "127.0.0.1:60022"

// Options configure a Gateway.
type Options struct {
	Access Access
	Store  Store
	// Addr is the base address: instance slot n listens on its port + n.
	// Port 0 gives every instance a free port (tests).
	Addr   string
	Revoke Revoke
	Now    func() time.Time
	Logger *slog.Logger
	// MenuIdle ends a session idle at the menu (default 10 minutes, as the
	// product's host-selection screen).
	MenuIdle time.Duration
	// DialTimeout bounds reaching and logging in to a host (default 10 s).
	DialTimeout time.Duration
	// NewHostKey makes a host key for an instance met for the first time
	// (default: a new Ed25519 key).
	NewHostKey func() (string, error)
}

// Listener is where one bastion instance's users connect.
type Listener struct {
	InstanceID string
	Addr       string
	// HostKey is the SHA256 fingerprint of the instance's host key.
	HostKey string
}

// Gateway is the SSH gateway of every bastion instance of a store.
type Gateway struct {
	opts      Options
	listeners []*instanceListener
	live      *registry
	stats     stats                      // for /metrics (stats.go)
	events    *auditq.Queue[queuedEvent] // refused logins' events (audit.go)

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// instanceListener serves one bastion instance.
type instanceListener struct {
	instanceID string
	// accountID and regionID are the instance's: its events' (audit.go).
	accountID, regionID string
	ln                  net.Listener
	signer              ssh.Signer
}

// New returns a gateway; Start binds its listeners.
func New(opts Options) *Gateway {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MenuIdle <= 0 {
		opts.MenuIdle = 10 * time.Minute
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.NewHostKey == nil {
		opts.NewHostKey = NewEd25519HostKey
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{opts: opts, ctx: ctx, cancel: cancel}
	g.events = auditq.New(eventQueueSize, eventBatch, g.writeBatch)
	g.live = newRegistry(g)
	return g
}

// Start loads (creating on first start) the host key and port slot of
// every bastion instance in the store, binds one listener per instance,
// and serves them until Close. On error nothing stays bound.
func (g *Gateway) Start(ctx context.Context) error {
	host, portText, err := net.SplitHostPort(g.opts.Addr)
	if err != nil {
		return fmt.Errorf("ssh address %q: %w", g.opts.Addr, err)
	}
	base, err := strconv.Atoi(portText)
	if err != nil || base < 0 || base > 65535 {
		return fmt.Errorf("ssh address %q: bad port", g.opts.Addr)
	}
	keys, err := g.hostKeys(ctx)
	if err != nil {
		return err
	}
	if err := g.opts.Store.ListenAccessChanges(g.ctx, g.AccessChanged); err != nil {
		return fmt.Errorf("listen for access changes: %w", err)
	}
	for _, k := range keys {
		signer, err := ssh.ParsePrivateKey([]byte(k.PrivateKey))
		if err != nil {
			g.closeListeners()
			return fmt.Errorf("host key of %s: %w", k.InstanceID, err)
		}
		port := 0
		if base != 0 {
			port = base + k.Slot
		}
		if port > 65535 {
			g.closeListeners()
			return fmt.Errorf("ssh address of %s: port %d out of range", k.InstanceID, port)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			g.closeListeners()
			return fmt.Errorf("ssh listener of %s: %w", k.InstanceID, err)
		}
		g.listeners = append(g.listeners, &instanceListener{instanceID: k.InstanceID, accountID: k.AccountID,
			regionID: k.RegionID, ln: ln, signer: signer})
	}
	for _, l := range g.listeners {
		g.wg.Go(func() { g.accept(l) })
	}
	return nil
}

// hostKeys returns every instance's stored key, creating the missing ones
// in the order of the instances' creation (so slots follow it).
func (g *Gateway) hostKeys(ctx context.Context) ([]localyun.BastionSSHHostKey, error) {
	keys, err := g.opts.Store.FindBastionSSHHostKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("ssh host keys: %w", err)
	}
	for i, k := range keys {
		if k.PrivateKey != "" {
			continue
		}
		pemKey, err := g.opts.NewHostKey()
		if err != nil {
			return nil, err
		}
		k, err = g.opts.Store.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: k.InstanceID,
			PrivateKey: pemKey, CreatedAt: g.opts.Now()})
		if errors.Is(err, localyun.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("ssh host key of %s: %w", keys[i].InstanceID, err)
		}
		keys[i] = k
	}
	out := keys[:0]
	for _, k := range keys {
		if k.PrivateKey != "" {
			out = append(out, k)
		}
	}
	return out, nil
}

// NewEd25519HostKey returns a new Ed25519 private key in OpenSSH PEM form.
func NewEd25519HostKey() (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "localyun bastion gateway")
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(block)), nil
}

// Listeners lists the instances' listeners in slot order.
func (g *Gateway) Listeners() []Listener {
	var out []Listener
	for _, l := range g.listeners {
		out = append(out, Listener{InstanceID: l.instanceID, Addr: l.ln.Addr().String(),
			HostKey: ssh.FingerprintSHA256(l.signer.PublicKey())})
	}
	return out
}

// Addr returns the address of an instance's listener, "" if it has none.
func (g *Gateway) Addr(instanceID string) string {
	for _, l := range g.listeners {
		if l.instanceID == instanceID {
			return l.ln.Addr().String()
		}
	}
	return ""
}

// Close stops accepting connections, ends every live session (recorded as
// ended by shutdown), waits for the connections to close and for the
// queued audit events to be written.
func (g *Gateway) Close() error {
	g.closeListeners()
	g.cancel()
	g.live.closeAll()
	g.wg.Wait()
	g.FlushEvents()
	return nil
}

func (g *Gateway) closeListeners() {
	for _, l := range g.listeners {
		l.ln.Close()
	}
}

// accept serves one instance's listener until it is closed.
func (g *Gateway) accept(l *instanceListener) {
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if g.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or similar: back off as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			g.opts.Logger.Warn("ssh accept", "instance", l.instanceID, "err", err)
			time.Sleep(delay)
			continue
		}
		delay = 0
		g.wg.Go(func() { g.serveConn(l, c) })
	}
}
