package server

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// TestMetadataLogNamesNoSecret: the access log's instance and path of a
// metadata request never carry a secret: not one sent alone in
// Proxy-Authorization or in a credentials URI without its id, not the
// path of a proxied request for another host.
func TestMetadataLogNamesNoSecret(t *testing.T) {
	req := func(target, auth string) *http.Request {
		u, _ := url.Parse(target)
		hr := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
		if auth != "" {
			hr.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(auth)))
		}
		return hr
	}
	user := basicUser("Proxy-Authorization")
	if got := user(req("http://100.100.100.200/latest/meta-data/", "i-abc:s3cret")); got != "i-abc" {
		t.Errorf("id:secret logged as %q, want i-abc", got)
	}
	const s3cret = "abcdefghijklmnopqrstuvwxyz234567"     // an instance secret's form
	for _, auth := range []string{s3cret, s3cret + ":"} { // HTTP_PROXY=http://SECRET@host sends "SECRET:"
		if got := user(req("http://100.100.100.200/latest/meta-data/", auth)); got != "" {
			t.Errorf("a secret sent alone (%q) logged as %q", auth, got)
		}
	}
	if got := pathInstance(req("http://127.0.0.1/localyun/instance-credentials/"+s3cret+"/", "")); got != "" {
		t.Errorf("a credentials URI with its secret alone logged %q", got)
	}
	if got := pathInstance(req("http://127.0.0.1/localyun/instance-credentials/"+s3cret, "")); got != "" {
		t.Errorf("a credentials URI without its id logged %q", got)
	}
	if got := pathInstance(req("http://127.0.0.1/localyun/instance-credentials/i-abc/s3cret", "")); got != "i-abc" {
		t.Errorf("a credentials URI logged %q, want i-abc", got)
	}
	if got := metadataPath(viaProxy, req("http://hooks.example.com/services/T/B/s3cret", "")); got != "" {
		t.Errorf("the path of a proxied request for another host was logged: %q", got)
	}
	if got := metadataPath(viaProxy, req("http://100.100.100.200/latest/meta-data/instance-id", "")); got != "/latest/meta-data/instance-id" {
		t.Errorf("a metadata path logged as %q", got)
	}
}
