package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/localyun/localyun/internal/ecs"
)

// The local CA's files in the data directory.
const (
	caCertName = "ca.pem"
	caKeyName  = "ca-key.pem"
)

const (
	// caValidity is the life of a new local CA: long, as every client
	// that trusts it would have to trust its successor.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity is the life of a server certificate, issued at each
	// start: the 397 days clients accept of a leaf.
	leafValidity = 397 * 24 * time.Hour
	// backdate covers clocks a little behind the server's.
	backdate = time.Hour
)

// caDNSDomains and caIPRanges are the names the local CA may certify (its
// name constraints): whoever reads its key can impersonate these and
// nothing else, though its certificate sits in a trust store.
var (
	caDNSDomains = []string{"localhost", "aliyuncs.com"}
	caIPRanges   = mustCIDRs("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)

func mustCIDRs(cidrs ...string) []*net.IPNet {
	nets := make([]*net.IPNet, len(cidrs))
	for i, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(err)
		}
		nets[i] = n
	}
	return nets
}

// tlsConfig returns the HTTPS configuration and the banner's note on what
// to trust: the certificate of --tls-cert, or else a server certificate
// issued now by the local CA of the data directory (created on first use).
// host is the host the HTTPS listener is bound to; the certificate names
// it too when the CA may.
func (m *Main) tlsConfig(host string, now time.Time) (*tls.Config, string, error) {
	var cert tls.Certificate
	var note string
	if m.Config.TLSCert != "" {
		var err error
		if cert, err = tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey); err != nil {
			return nil, "", fmt.Errorf("--tls-cert %s, --tls-key %s: %w", m.Config.TLSCert, m.Config.TLSKey, err)
		}
		note = "certificate: " + m.Config.TLSCert
	} else {
		ca, key, err := loadOrCreateCA(m.Config.DataDir, now)
		if err != nil {
			return nil, "", fmt.Errorf("%w (pass --tls-cert/--tls-key, or --tls-addr off for no HTTPS)", err)
		}
		if cert, err = issueServerCert(ca, key, host, now); err != nil {
			return nil, "", err
		}
		m.caPath = filepath.Join(m.Config.DataDir, caCertName)
		if abs, err := filepath.Abs(m.caPath); err == nil {
			m.caPath = abs
		}
		note = "CA: " + m.caPath
	}
	// HTTP/1.1 only: the limits (header and body timeouts, connection
	// caps) are those of the HTTP listener, and every SDK speaks it.
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}}, note, nil
}

// loadOrCreateCA returns the local CA of dir, creating it when dir has
// none: ca.pem, its certificate, and ca-key.pem, its key, both mode 0600.
// A key without its certificate is a creation cut short (nobody can have
// trusted it) and is replaced; a certificate without its key is an error.
func loadOrCreateCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, caCertName), filepath.Join(dir, caKeyName)
	certPEM, cerr := os.ReadFile(certPath)
	switch {
	case errors.Is(cerr, fs.ErrNotExist):
		return createCA(dir, now)
	case cerr != nil:
		return nil, nil, fmt.Errorf("local CA: %w", cerr)
	}
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, nil, fmt.Errorf("local CA key %s: mode %v is readable by others; chmod 600 it", keyPath, fi.Mode().Perm())
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("local CA %s has no key: %w (remove %[1]s to create a new CA)", certPath, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("local CA %s, %s: %w", certPath, keyPath, err)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	ca := pair.Leaf
	switch {
	case !ok || ca == nil || !ca.IsCA:
		return nil, nil, fmt.Errorf("local CA %s: not an ECDSA CA certificate (remove %[1]s and %s to create a new CA)", certPath, keyPath)
	case now.After(ca.NotAfter):
		return nil, nil, fmt.Errorf("local CA %[1]s expired on %[2]s (remove %[1]s and %[3]s to create a new CA)", certPath, ca.NotAfter.Format(time.DateOnly), keyPath)
	}
	return ca, key, nil
}

// createCA creates a local CA in dir. Its certificate is written last, so
// that its presence means the CA is whole.
func createCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial := randomSerial()
	tmpl := &x509.Certificate{
		SerialNumber:                serial,
		Subject:                     pkix.Name{Organization: []string{"localyun"}, CommonName: fmt.Sprintf("localyun local CA %.8s", serial.Text(16))},
		NotBefore:                   now.Add(-backdate),
		NotAfter:                    now.Add(caValidity),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         caDNSDomains,
		PermittedIPRanges:           caIPRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("local CA: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, caKeyName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return nil, nil, fmt.Errorf("local CA: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, caCertName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return nil, nil, fmt.Errorf("local CA: %w", err)
	}
	return ca, key, nil
}

// writeFileAtomic writes data to path (mode 0600) through a synced
// temporary file renamed into place: path is whole or absent.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// issueServerCert returns a server certificate signed by ca for the names
// clients use: localhost, the loopback addresses, the product endpoints
// (aliyuncs.com, *.aliyuncs.com, *.REGION.aliyuncs.com of every region),
// and host when the CA may certify it (every private address of the
// machine for an unspecified host). Its key lives in memory only.
func issueServerCert(ca *x509.Certificate, caKey *ecdsa.PrivateKey, host string, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	dns := []string{"localhost", "aliyuncs.com", "*.aliyuncs.com"}
	for _, r := range ecs.RegionIDs() {
		dns = append(dns, "*."+r+".aliyuncs.com")
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	extraDNS, extraIPs := hostNames(host)
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{Organization: []string{"localyun"}, CommonName: "localhost"},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     append(dns, extraDNS...),
		IPAddresses:  append(ips, extraIPs...),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// hostNames returns what the server certificate names for the listen host
// besides the fixed names: the host itself if the CA may certify it, or,
// for an unspecified host ("", 0.0.0.0, ::), the machine's private
// addresses.
func hostNames(host string) (dns []string, ips []net.IP) {
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified():
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && caMayCertify(n.IP) && !n.IP.IsLoopback() {
				ips = append(ips, n.IP)
			}
		}
	case ip != nil:
		if caMayCertify(ip) && !ip.IsLoopback() {
			ips = append(ips, ip)
		}
	case host != "localhost" && strings.HasSuffix(strings.ToLower(host), ".aliyuncs.com"):
		dns = append(dns, host)
	}
	return dns, ips
}

// caMayCertify reports whether ip is within the local CA's name
// constraints.
func caMayCertify(ip net.IP) bool {
	for _, n := range caIPRanges {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}
