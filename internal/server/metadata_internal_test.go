package server

import (
	"net/http/httptest"
	"testing"
)

// TestMetadataHostOK: the --metadata-addr listener answers requests for
// 100.100.100.200 or a loopback name only, not a page whose own name a
// browser resolved to it (DNS rebinding).
func TestMetadataHostOK(t *testing.T) {
	for host, want := range map[string]bool{
		"100.100.100.200": true, "100.100.100.200:80": true, "127.0.0.1:8081": true, "localhost": true, "[::1]:80": true,
		"evil.example": false, "evil.example:80": false, "10.0.0.1": false, "": false,
	} {
		r := httptest.NewRequest("GET", "/latest/meta-data/", nil)
		r.Host = host
		if got := metadataHostOK(r); got != want {
			t.Errorf("Host %q: %v, want %v", host, got, want)
		}
	}
}
