package server

import (
	"net/url"
	"testing"
)

// TestIsSelfURL: which absolute-form URLs name the server itself, for a
// loopback, a wildcard and an IPv6 listener.
func TestIsSelfURL(t *testing.T) {
	tests := []struct {
		listen []string
		url    string
		want   bool
	}{
		{[]string{"127.0.0.1:8080"}, "http://127.0.0.1:8080/?Action=X", true},
		{[]string{"127.0.0.1:8080"}, "http://localhost:8080/", true},
		{[]string{"127.0.0.1:8080"}, "http://LOCALHOST:8080/", true},
		{[]string{"127.0.0.1:8080"}, "http://127.0.0.2:8080/", false},
		{[]string{"127.0.0.1:8080"}, "http://127.0.0.1:8081/", false},
		{[]string{"127.0.0.1:8080"}, "http://127.0.0.1/", false},
		{[]string{"127.0.0.1:8080"}, "https://127.0.0.1:8080/", false},
		{[]string{"127.0.0.1:8080"}, "http://example.com:8080/", false},
		{[]string{"127.0.0.1:8080"}, "http://100.100.100.200/", false},
		{[]string{"127.0.0.1:8080", "127.0.0.1:8443"}, "http://127.0.0.1:8443/", true},
		{[]string{"127.0.0.1:80"}, "http://127.0.0.1/", true},
		{[]string{"0.0.0.0:8080"}, "http://127.0.0.9:8080/", true},
		{[]string{"0.0.0.0:8080"}, "http://localhost:8080/", true},
		{[]string{"0.0.0.0:8080"}, "http://[::1]:8080/", true},
		{[]string{"0.0.0.0:8080"}, "http://10.1.2.3:8080/", false},
		{[]string{"[::1]:8080"}, "http://[::1]:8080/", true},
		{[]string{"[::1]:8080"}, "http://localhost:8080/", true},
		{[]string{"10.1.2.3:8080"}, "http://10.1.2.3:8080/", true},
		{[]string{"10.1.2.3:8080"}, "http://localhost:8080/", false},
		{nil, "http://127.0.0.1:8080/", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := (&Server{self: tt.listen}).isSelfURL(u); got != tt.want {
			t.Errorf("listening on %v: isSelfURL(%s) = %v, want %v", tt.listen, tt.url, got, tt.want)
		}
	}
}
