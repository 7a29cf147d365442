package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIMDSBaseline drives the imds operation's request against the
// baseline: the absolute-form GET with the instance's Proxy-Authorization
// is answered with the sized credentials body, and a wrong secret 407.
func TestIMDSBaseline(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b := &baseline{secret: benchKeySecret, key: key, bodies: map[string][]byte{imdsAction: imdsBody(300)}}
	srv := httptest.NewServer(b)
	defer srv.Close()
	old := imdsKey
	imdsKey = key
	defer func() { imdsKey = old }()

	c := newCaller(srv.URL, srv.Client(), 0, 1)
	c.discard = true
	if err := c.imdsGet(0, instanceID(0), roleName(0), wantContains(`"Code":"Success"`)); err != nil {
		t.Fatalf("imds GET on the baseline: %v", err)
	}
	if got := c.st.sizes[imdsAction]; got != 300 {
		t.Errorf("body of %d bytes, want the 300 set", got)
	}
	c.discard = false
	imdsKey = bytes.Repeat([]byte{8}, 32) // secrets of another master key
	if err := c.imdsGet(0, instanceID(0), roleName(0), nil); err != nil || c.st.errs[0] != 1 || !strings.Contains(c.st.firstErr, "407") {
		t.Errorf("a wrong secret: err %v, %d errors (%s), want one 407", err, c.st.errs[0], c.st.firstErr)
	}
}
