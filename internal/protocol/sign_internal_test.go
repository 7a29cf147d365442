package protocol

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// stringToSignV1Plain is the V1 string to sign as the reference spells it
// out: the canonical query, percent-encoded again.
func stringToSignV1Plain(method string, params url.Values) string {
	return method + "&%2F&" + PercentEncode(canonicalQuery(params, "Signature"))
}

func signV1Plain(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// checkSignV1 compares the one-pass string to sign and the pooled HMAC with
// their plain spelling, for a query string and a secret.
func checkSignV1(t *testing.T, query, secret string) {
	params, _ := url.ParseQuery(query)
	want := stringToSignV1Plain("POST", params)
	if got := StringToSignV1("POST", params); got != want {
		t.Fatalf("StringToSignV1(%q)\n got %s\nwant %s", query, got, want)
	}
	sig := signV1Plain(want, secret)
	if got := SignV1(want, secret); got != sig {
		t.Fatalf("SignV1(%q, %q) = %s, want %s", want, secret, got, sig)
	}
	params.Set("Signature", sig)
	if ok, sts := VerifyV1("POST", params, secret); !ok || sts != "" {
		t.Fatalf("VerifyV1 of a good signature = %v, %q", ok, sts)
	}
	if ok, sts := VerifyV1("POST", params, secret+"x"); ok || sts != want {
		t.Fatalf("VerifyV1 with another secret = %v, %q; want false, %q", ok, sts, want)
	}
}

var signCases = []string{
	"", "Action=DescribeInstances&Format=JSON", "a=1&a=2&b=", "k+1=v*~&Tag.1.Key=k%201&x=%E4%B8%AD&y=%00%FF",
	"InstanceIds=%5B%22i-1%22%2C%22i-2%22%5D&Timestamp=2024-01-01T00%3A00%3A00Z&Signature=zz",
	strings.Repeat("p=1&", 60) + "q=" + strings.Repeat("%25", 3000),
}

// TestSignV1OnePass: the one-pass string to sign, and the signers reused
// across secrets, give what the plain construction gives.
func TestSignV1OnePass(t *testing.T) {
	for i, q := range signCases {
		for _, secret := range []string{"testsecret", "other", "testsecret", "", strings.Repeat("s", 100)} {
			checkSignV1(t, q+"&n="+string(rune('a'+i)), secret)
		}
	}
	var b strings.Builder
	for i := range maxStackKeys + 10 {
		b.WriteString("k" + string(rune('A'+i)) + "=" + string(rune('a'+i%26)) + "&")
	}
	checkSignV1(t, b.String(), "many-keys")
}

func FuzzSignV1(f *testing.F) {
	for _, q := range signCases {
		f.Add(q, "testsecret")
	}
	f.Fuzz(checkSignV1)
}

// TestV1SignersConcurrent verifies with a few secrets from many goroutines
// at once: a pooled signer keyed with one secret never signs for another
// (the race detector checks the pool's handover).
func TestV1SignersConcurrent(t *testing.T) {
	secrets := []string{"alpha", "beta", "gamma"}
	params := make([]url.Values, len(secrets))
	for i, secret := range secrets {
		params[i] = url.Values{"Action": {"A"}, "SignatureNonce": {secret}}
		params[i].Set("Signature", signV1Plain(stringToSignV1Plain("POST", params[i]), secret))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				k := (g + i) % len(secrets)
				if ok, _ := VerifyV1("POST", params[k], secrets[k]); !ok {
					t.Errorf("VerifyV1 with %s refused its own signature", secrets[k])
					return
				}
				if ok, _ := VerifyV1("POST", params[k], secrets[(k+1)%len(secrets)]); ok {
					t.Errorf("VerifyV1 accepted %s's signature for another secret", secrets[k])
					return
				}
			}
		})
	}
	wg.Wait()
}
