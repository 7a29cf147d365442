package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// envSettings is what `localyun env` prints: the settings every client
// needs for one server.
type envSettings struct {
	endpoint   string // host:port clients call: the HTTPS one when there is one
	https      bool
	caPath     string // absolute; "" without HTTPS
	caExists   bool
	ownCert    string // --tls-cert of the server: clients trust its issuer, not the local CA
	credsPath  string
	keyID      string // "" when the data directory holds no generated key
	keySecret  string
	region     string
	format     string
	serverAddr string // the http:// listener
}

// envCommand is `localyun env`: it prints, as shell commands, what each
// client needs to talk to the server that `localyun serve` with the same
// --addr, --tls-addr and --data-dir (or LOCALYUN_* variables) runs. The
// lines that are not variables are comments, so the output can be
// evaluated: eval "$(localyun env)".
func envCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	def := DefaultConfig()
	flags := flag.NewFlagSet("env", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", def.Addr, "the server's listen address (env LOCALYUN_ADDR)")
	tlsAddr := flags.String("tls-addr", def.TLSAddr, "the server's HTTPS listen address, off for none (env LOCALYUN_TLS_ADDR)")
	dataDir := flags.String("data-dir", def.DataDir, "the server's data directory: credentials and ca.pem (env LOCALYUN_DATA_DIR)")
	tlsCert := flags.String("tls-cert", "", "the server's own HTTPS certificate, if it was given one (env LOCALYUN_TLS_CERT)")
	region := flags.String("region", "cn-hangzhou", "the region clients name")
	format := flags.String("format", "sh", "sh (bash, zsh), fish or powershell")
	flags.Usage = func() {
		fmt.Fprint(stderr, "usage: localyun env [flags]\n\nPrints the environment variables, aliyun CLI profile and Terraform provider block\nfor the server `localyun serve` runs with the same flags. Use: eval \"$(localyun env)\"\n\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("env: unexpected argument %q", flags.Arg(0))
	}
	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, p := range map[string]*string{"addr": addr, "tls-addr": tlsAddr, "data-dir": dataDir, "tls-cert": tlsCert} {
		if v := getenv("LOCALYUN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" && !set[name] {
			*p = v
		}
	}
	switch *format {
	case "sh", "fish", "powershell":
	default:
		return fmt.Errorf("env: --format %q: want sh, fish or powershell", *format)
	}
	s, err := loadEnvSettings(*addr, *tlsAddr, *dataDir)
	if err != nil {
		return err
	}
	s.region, s.format = *region, *format
	if s.https && *tlsCert != "" {
		s.ownCert = *tlsCert
	}
	s.write(stdout)
	return nil
}

// loadEnvSettings reads the data directory's credentials and CA for the
// server at addr and tlsAddr ("off": none).
func loadEnvSettings(addr, tlsAddr, dataDir string) (envSettings, error) {
	s := envSettings{serverAddr: clientAddr(addr), endpoint: clientAddr(addr)}
	if tlsAddr != "" && !strings.EqualFold(tlsAddr, "off") {
		s.https, s.endpoint = true, clientAddr(tlsAddr)
		ca, err := filepath.Abs(filepath.Join(dataDir, caCertName))
		if err != nil {
			return s, err
		}
		s.caPath = ca
		_, err = os.Stat(ca)
		s.caExists = err == nil
	}
	creds, err := filepath.Abs(filepath.Join(dataDir, "credentials"))
	if err != nil {
		return s, err
	}
	s.credsPath = creds
	f, err := os.Open(creds)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch strings.TrimSpace(k) {
		case "access_key_id":
			s.keyID = strings.TrimSpace(v)
		case "access_key_secret":
			s.keySecret = strings.TrimSpace(v)
		}
	}
	return s, sc.Err()
}

// clientAddr is the address a client on this machine dials for a listen
// address: loopback for an unspecified host.
func clientAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// export writes one variable assignment in s's shell.
func (s envSettings) export(w io.Writer, name, value, comment string) {
	if comment != "" {
		comment = "  # " + comment
	}
	switch s.format {
	case "fish":
		fmt.Fprintf(w, "set -gx %s %s%s\n", name, shellQuote(value), comment)
	case "powershell":
		fmt.Fprintf(w, "$env:%s = '%s'%s\n", name, strings.ReplaceAll(value, "'", "''"), comment)
	default:
		fmt.Fprintf(w, "export %s=%s%s\n", name, shellQuote(value), comment)
	}
}

// shellQuote quotes v for sh and fish when it needs it.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@,+=") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// write prints the settings: variables, then the aliyun CLI and Terraform
// settings as comments.
func (s envSettings) write(w io.Writer) {
	scheme := "http"
	if s.https {
		scheme = "https"
	}
	fmt.Fprintf(w, "# localyun env: client settings for the localyun server at %s://%s\n", scheme, s.endpoint)
	if s.keyID != "" {
		fmt.Fprintf(w, "# the root AccessKey of the generated account (%s)\n", s.credsPath)
		s.export(w, "ALIBABA_CLOUD_ACCESS_KEY_ID", s.keyID, "")
		s.export(w, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", s.keySecret, "")
	} else {
		fmt.Fprintf(w, "# no generated AccessKey in %s: set ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET to a key of your seed file\n", s.credsPath)
	}
	s.export(w, "ALIBABA_CLOUD_REGION_ID", s.region, "SDKs, credential providers, aliyun CLI")
	s.export(w, "ALIBABA_CLOUD_REGION", s.region, "Terraform/OpenTofu alicloud provider")
	switch {
	case s.https && s.ownCert != "":
		fmt.Fprintf(w, "# HTTPS serves your certificate %s (--tls-cert): clients must trust its issuer, as they\n", s.ownCert)
		fmt.Fprintln(w, "# already do for a certificate from a public or company CA; no local CA is involved")
	case s.https:
		if !s.caExists {
			fmt.Fprintf(w, "# %s does not exist yet: `localyun serve` creates it on its first start\n", s.caPath)
		}
		fmt.Fprintln(w, "# trust the local CA (Go then trusts only this file: unset SSL_CERT_FILE to reach the real cloud)")
		s.export(w, "SSL_CERT_FILE", s.caPath, "Go: SDKs, credentials-go, aliyun CLI, Terraform")
		s.export(w, "NODE_EXTRA_CA_CERTS", s.caPath, "Node.js")
	}
	fmt.Fprintln(w, "# endpoints: Terraform/OpenTofu read ALIBABA_CLOUD_ENDPOINT_<PRODUCT>; its Bastionhost RPC calls")
	fmt.Fprintln(w, "# need ALIBABA_CLOUD_ENDPOINT_YUNDUN_BASTIONHOST (it ignores endpoints.bastionhost for them)")
	for _, p := range []string{"ECS", "RAM", "STS", "BASTIONHOST", "YUNDUN_BASTIONHOST"} {
		s.export(w, "ALIBABA_CLOUD_ENDPOINT_"+p, s.endpoint, "")
	}
	s.writeClients(w, scheme)
}

// writeClients prints, as comments, how the SDKs, the aliyun CLI and
// Terraform point at the server.
func (s envSettings) writeClients(w io.Writer, scheme string) {
	id, secret := s.keyID, s.keySecret
	if id == "" {
		id, secret = "<AccessKeyId>", "<AccessKeySecret>"
	}
	lines := []string{
		"",
		"SDKs: set the endpoint to " + s.endpoint + " (V1 client.Domain, V3/Tea Config.Endpoint, pop-core endpoint " + scheme + "://" + s.endpoint + ")",
	}
	if s.https {
		lines = append(lines,
			"role-assuming credential providers call STS over HTTPS only: credentials-go ram_role_arn",
			"  Config.STSEndpoint = \""+s.endpoint+"\"; Node RAMRoleARNCredentialsProvider: STS endpoint '"+s.endpoint+"'")
	} else {
		lines = append(lines, "HTTPS is off: role-assuming credential providers (ram_role_arn) cannot reach this server")
	}
	secure := ""
	if s.https {
		secure = " --secure"
	}
	lines = append(lines,
		"",
		"aliyun CLI 3.x: a profile, then --endpoint on each call",
		"  aliyun configure set --profile localyun --mode AK --access-key-id "+id+" --access-key-secret "+secret+" --region "+s.region,
		"  aliyun --profile localyun ecs DescribeRegions --endpoint "+s.endpoint+secure,
		"",
		"Terraform/OpenTofu (aliyun/alicloud); with the variables above the endpoints block is optional:",
		"  provider \"alicloud\" {",
		"    region   = \""+s.region+"\"",
		"    protocol = \""+strings.ToUpper(scheme)+"\"",
		"    endpoints {",
		"      ecs         = \""+s.endpoint+"\"",
		"      ram         = \""+s.endpoint+"\"",
		"      sts         = \""+s.endpoint+"\"",
		"      bastionhost = \""+s.endpoint+"\"",
		"    }",
		"  }",
		"  and ALIBABA_CLOUD_ENDPOINT_YUNDUN_BASTIONHOST="+s.endpoint+" in the environment of terraform/tofu",
	)
	if s.https && s.serverAddr != s.endpoint {
		lines = append(lines, "", "plain HTTP is also served at "+s.serverAddr)
	}
	for _, l := range lines {
		fmt.Fprintln(w, strings.TrimRight("# "+l, " "))
	}
}
