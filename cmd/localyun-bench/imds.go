package main

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/localyun/localyun/internal/metadata"
)

// The imds operation (issue 14): the credential GET an instance's app
// makes through the metadata proxy, `GET
// http://100.100.100.200/latest/meta-data/ram/security-credentials/<role>`
// in absolute form on the server's own listener, with the instance's
// Proxy-Authorization. Worker k is the app of instance 2k (every even
// instance has a role), so after the probe it reads the session its
// instance already holds, as a refreshing app does.
//
// The baseline answers the same request barely: it checks the Basic
// credentials against the instance secret (one HMAC, as the signed
// baseline checks one signature) and writes a fixed body of the size
// localyun answered with.

const (
	imdsHost   = "100.100.100.200"
	imdsAction = "ImdsCredentials" // the sizes key of the operation's body
)

// imdsKey is the master key of the run's servers, which the instance
// secrets derive from (loadIMDSKey).
var imdsKey []byte

// loadIMDSKey reads the master key every server process of the run gets.
func loadIMDSKey(path string) error {
	key, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("imds: master key: %w", err)
	}
	imdsKey = key
	return nil
}

func init() {
	ops = append(ops, Op{
		Name:   "imds",
		Labels: []string{"Instance credentials GET (metadata proxy)"},
		Conc:   func(w World, c int) int { return min(c, w.Instances/2) },
		Iter: func(c *caller, w World, k, n, i int) error {
			id := instanceID(2 * k)
			if c.imdsRole == "" {
				// The role attached now: detach100 re-attaches its blocks
				// with one role each, so it may not be the seeded one.
				c.imdsRole = c.imdsAttachedRole(id, roleName(k%w.Roles))
			}
			return c.imdsGet(0, id, c.imdsRole, wantContains(`"Code":"Success"`))
		},
	})
}

// imdsAttachedRole reads the name of the role attached to instance id
// from the metadata service's listing, unmeasured, as a client does before
// its first credential GET; seeded when the answer is not a role name (a
// baseline server answers every path with its fixed body).
func (c *caller) imdsAttachedRole(id, seeded string) string {
	base, err := url.Parse(c.base)
	if err != nil {
		return seeded
	}
	req := &http.Request{Method: http.MethodGet, Host: imdsHost, Header: http.Header{},
		URL: &url.URL{Scheme: "http", Host: base.Host, Opaque: "//" + imdsHost + "/latest/meta-data/ram/security-credentials/"}}
	req.Header["Proxy-Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+metadata.InstanceSecret(imdsKey, id)))}
	resp, err := c.client.Do(req)
	if err != nil {
		return seeded
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	name := strings.TrimSpace(string(b))
	if err != nil || resp.StatusCode != http.StatusOK || name == "" || strings.IndexFunc(name, func(r rune) bool {
		return !(r == '-' || r == '.' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) >= 0 {
		return seeded
	}
	return name
}

// imdsGet sends the credential GET of instance id's role through the
// proxy path of c.base and measures it under step, as call does.
func (c *caller) imdsGet(step int, id, role string, check func([]byte) error) error {
	base, err := url.Parse(c.base)
	if err != nil {
		return err
	}
	// Opaque makes the request line absolute-form while the connection
	// goes to base, as a client's proxy transport sends it.
	req := &http.Request{Method: http.MethodGet, Host: imdsHost, Header: http.Header{},
		URL: &url.URL{Scheme: "http", Host: base.Host, Opaque: "//" + imdsHost + "/latest/meta-data/ram/security-credentials/" + role}}
	req.Header["Proxy-Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+metadata.InstanceSecret(imdsKey, id)))}
	req.Header["User-Agent"] = []string{"AlibabaCloud (linux; amd64) Golang/go1.26 Credentials/1.4.14 localyun-bench"}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err == nil {
		c.buf.Reset()
		_, err = c.buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	return c.record(step, imdsAction, time.Since(start), resp, err, check)
}

// record checks a response and adds it to c's stats under step (the
// sizes under action), unless c discards; errors are counted, not
// returned, except in a probe.
func (c *caller) record(step int, action string, el time.Duration, resp *http.Response, err error, check func([]byte) error) error {
	if err == nil && resp.StatusCode != http.StatusOK {
		if c.discard && resp.StatusCode != http.StatusProxyAuthRequired && resp.StatusCode < 500 {
			// The probe of a server without a metadata service behind its
			// listener (it answers the absolute-form request 4xx).
			return fmt.Errorf("%s: HTTP %d %.200s: %w", action, resp.StatusCode, c.buf.Bytes(), errNotServed)
		}
		err = fmt.Errorf("%s: HTTP %d: %.300s", action, resp.StatusCode, c.buf.Bytes())
	}
	if err == nil && check != nil {
		if err = check(c.buf.Bytes()); err != nil {
			err = fmt.Errorf("%s: %w", action, err)
		}
	}
	if c.discard {
		if err == nil {
			c.st.sizes[action] = c.buf.Len()
		}
		return err
	}
	c.st.lat[step] = append(c.st.lat[step], int64(el))
	if err != nil {
		c.st.errs[step]++
		if c.st.firstErr == "" {
			c.st.firstErr = err.Error()
		}
	} else {
		c.st.sizes[action] = c.buf.Len()
	}
	return nil
}

// serveIMDS is the baseline's bare answer to the imds operation's
// request: Basic credentials checked against the instance secret, then a
// fixed body.
func (b *baseline) serveIMDS(w http.ResponseWriter, r *http.Request) {
	user, secret, ok := proxyBasicAuth(r.Header.Get("Proxy-Authorization"))
	if !ok || r.URL.Host != imdsHost || b.key == nil ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(metadata.InstanceSecret(b.key, user))) != 1 {
		http.Error(w, "Proxy Authentication Required", http.StatusProxyAuthRequired)
		return
	}
	b.mu.RLock()
	body := b.bodies[imdsAction]
	b.mu.RUnlock()
	if body == nil {
		body = imdsBody(0)
	}
	w.Header()["Content-Type"] = []string{"text/plain"}
	w.Write(body)
}

// imdsBody is a credentials body of exactly n bytes (at least its
// minimum) that passes the operation's check.
func imdsBody(n int) []byte {
	const head = `{"Code":"Success","AccessKeyId":"STS.baseline","Pad":"`
	b := []byte(head)
	for len(b)+2 < n {
		b = append(b, 'x')
	}
	return append(b, '"', '}')
}

// proxyBasicAuth parses a Proxy-Authorization Basic value.
func proxyBasicAuth(v string) (user, secret string, ok bool) {
	const prefix = "Basic "
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(v[len(prefix):])
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}
