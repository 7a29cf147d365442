package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/localyun/localyun/internal/metadata"
	"github.com/localyun/localyun/internal/server"
)

const metadataURLUsage = "localyun metadata-url <instance-id> [--addr A] [--data-dir D] [--master-key-file F] [--credentials-uri [--path-secret]]"

// metadataURLCommand is `localyun metadata-url <instance-id>`: it prints
// one line, the HTTP_PROXY value that makes an unmodified client reach the
// metadata service as that instance, http://<id>:<secret>@<addr> (with
// --credentials-uri, the ALIBABA_CLOUD_CREDENTIALS_URI value instead, the
// secret as Basic userinfo or, with --path-secret, in the path). The
// secret derives from the master key, read as serve reads it (--master-key-file,
// else <data-dir>/master.key; LOCALYUN_* variables fill unset flags), but
// never created: without the key there is nothing to print. It does not
// open the store (a running serve holds SQLite's lock), so it does not
// know whether the instance exists: the server answers 407 (401) for one
// that does not.
func metadataURLCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	def := DefaultConfig()
	fset := flag.NewFlagSet("metadata-url", flag.ContinueOnError)
	fset.SetOutput(stderr)
	addr := fset.String("addr", def.Addr, "the server's listen address (env LOCALYUN_ADDR)")
	dataDir := fset.String("data-dir", def.DataDir, "the server's data directory, holding master.key (env LOCALYUN_DATA_DIR)")
	keyFile := fset.String("master-key-file", "", "the server's master key file (env LOCALYUN_MASTER_KEY_FILE); default <data-dir>/master.key")
	uri := fset.Bool("credentials-uri", false, "print the ALIBABA_CLOUD_CREDENTIALS_URI value instead of the HTTP_PROXY one")
	pathSecret := fset.Bool("path-secret", false, "with --credentials-uri: the secret in the URI's path, not its userinfo (for clients that drop userinfo, e.g. Node's @alicloud/credentials)")
	var ids []string
	for rest := args; ; {
		if err := parseFlags(fset, rest, metadataURLUsage); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		ids, rest = append(ids, fset.Arg(0)), fset.Args()[1:] // flags may follow the id
	}
	if len(ids) != 1 {
		return usageError("usage: " + metadataURLUsage)
	}
	if *pathSecret && !*uri {
		return usageError("metadata-url: --path-secret only with --credentials-uri")
	}
	id := ids[0]
	if !instanceIDRE.MatchString(id) {
		return usageError(fmt.Sprintf("metadata-url: %q is not an instance id (i- and lower-case letters or digits)", id))
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, p := range map[string]*string{"addr": addr, "data-dir": dataDir, "master-key-file": keyFile} {
		if v := getenv("LOCALYUN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" && !set[name] {
			*p = v
		}
	}
	path := *keyFile
	if path == "" {
		path = filepath.Join(*dataDir, "master.key")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("metadata-url: no master key at %s: start `localyun serve` with the same --data-dir first "+
			"(it creates the key), or pass the --master-key-file it uses", path)
	}
	key, err := LoadMasterKey(path)
	if err != nil {
		return err
	}
	secret := metadata.InstanceSecret(key, id)
	line := "http://" + id + ":" + secret + "@" + clientAddr(*addr)
	switch {
	case *pathSecret:
		line = "http://" + clientAddr(*addr) + metadata.CredentialsPath + "/" + id + "/" + secret
	case *uri:
		line += metadata.CredentialsPath
	}
	fmt.Fprintln(stdout, line)
	return nil
}

// checkMetadata reports --metadata-addr and --metadata-instance that
// cannot work: each needs the other, since a request to that listener
// carries no identity.
func (c *Config) checkMetadata() error {
	switch {
	case c.MetadataAddr != "" && c.MetadataInstance == "":
		return errors.New("--metadata-addr: also pass --metadata-instance <instance-id>, the instance it answers for")
	case c.MetadataAddr == "" && c.MetadataInstance != "":
		return errors.New("--metadata-instance: only with --metadata-addr")
	case c.MetadataInstance != "" && !instanceIDRE.MatchString(c.MetadataInstance):
		return fmt.Errorf("--metadata-instance %q: not an instance id (i- and lower-case letters or digits)", c.MetadataInstance)
	case c.MetadataAddr != "":
		// The listener hands out the instance's role credentials to
		// whoever reaches it, without a secret: only on this machine.
		host, _, err := net.SplitHostPort(c.MetadataAddr)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !ip.IsLoopback() && !ip.Equal(net.ParseIP(metadata.Host)) {
			return fmt.Errorf("--metadata-addr %q: want %s:80 (aliased on loopback) or a loopback address and port: "+
				"this listener serves the instance's credentials without a secret", c.MetadataAddr, metadata.Host)
		}
	}
	return nil
}

// listenMetadata binds the --metadata-addr listener, if any.
func (m *Main) listenMetadata() error {
	if m.Config.MetadataAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetadataAddr)
	if err != nil {
		return fmt.Errorf("--metadata-addr %s: %w (alias the address on loopback first, e.g. "+
			"sudo ip addr add 100.100.100.200/32 dev lo; port 80 needs root or CAP_NET_BIND_SERVICE)", m.Config.MetadataAddr, err)
	}
	m.metaLn = ln
	return nil
}

// serveMetadata serves the metadata service of --metadata-instance on the
// --metadata-addr listener, if any, under connection caps of its own.
func (m *Main) serveMetadata(srv *server.Server) {
	if m.metaLn == nil {
		return
	}
	var cl *connLimiter
	m.metaHTTP, cl = m.httpServer(srv.MetadataHandler(m.Config.MetadataInstance), m.metaLn, nil)
	m.started++
	go func() { m.served <- m.metaHTTP.Serve(cl) }()
	if !m.Config.Quiet {
		fmt.Fprintf(m.Stdout, "  metadata: http://%s answers as instance %s\n", m.metaLn.Addr(), m.Config.MetadataInstance)
	}
}
