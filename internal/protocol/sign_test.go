package protocol_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/localyun/localyun/internal/protocol"
)

// The vectors of shared/reference/protocol.md §2.6 and §3.6.

func TestSignV1Vector(t *testing.T) {
	params := url.Values{
		"AccessKeyId":      {"testid"},
		"Action":           {"DescribeInstances"},
		"Format":           {"JSON"},
		"InstanceIds":      {`["i-1","i-2"]`},
		"RegionId":         {"cn-hangzhou"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"0123456789abcdef0123456789abcdef"},
		"SignatureType":    {""},
		"SignatureVersion": {"1.0"},
		"Tag.1.Key":        {"k 1"},
		"Tag.1.Value":      {"v*~"},
		"Timestamp":        {"2024-01-01T00:00:00Z"},
		"Version":          {"2014-05-26"},
	}
	wantSTS := "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeInstances%26Format%3DJSON%26InstanceIds%3D%255B%2522i-1%2522%252C%2522i-2%2522%255D%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0123456789abcdef0123456789abcdef%26SignatureType%3D%26SignatureVersion%3D1.0%26Tag.1.Key%3Dk%25201%26Tag.1.Value%3Dv%252A~%26Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2014-05-26"
	if got := protocol.StringToSignV1("POST", params); got != wantSTS {
		t.Fatalf("string to sign:\n got %s\nwant %s", got, wantSTS)
	}
	const wantSig = "Fwaxagn1G2/p7kY+Y1/rmOvYchU="
	if got := protocol.SignV1(wantSTS, "testsecret"); got != wantSig {
		t.Fatalf("signature = %s, want %s", got, wantSig)
	}
	params.Set("Signature", wantSig)
	if ok, _ := protocol.VerifyV1("POST", params, "testsecret"); !ok {
		t.Fatal("VerifyV1 rejected the vector")
	}
	if ok, _ := protocol.VerifyV1("GET", params, "testsecret"); ok {
		t.Fatal("VerifyV1 accepted the vector under another method")
	}
	if ok, _ := protocol.VerifyV1("POST", params, "wrong"); ok {
		t.Fatal("VerifyV1 accepted a wrong secret")
	}
}

func TestSignV3Vector(t *testing.T) {
	query := url.Values{
		"InstanceIds": {`["i-1"]`},
		"RegionId":    {"cn-hangzhou"},
		"Tag.1.Key":   {"k 1"},
	}
	headers := map[string]string{
		"host":                  "127.0.0.1:8080",
		"x-acs-action":          "DescribeInstances",
		"x-acs-version":         "2014-05-26",
		"x-acs-date":            "2024-01-01T00:00:00Z",
		"x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
		"x-acs-content-sha256":  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}
	auth, err := protocol.ParseV3Authorization("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=4a4abde9de18b8b1c72837227f4da293b183b18419c1b4dc28ac22ecb862cbc2")
	if err != nil {
		t.Fatal(err)
	}
	if auth.AccessKeyID != "testid" || len(auth.SignedHeaders) != 6 {
		t.Fatalf("parsed %+v", auth)
	}
	creq := protocol.CanonicalRequestV3("POST", "/", query, auth.SignedHeaders,
		func(h string) string { return headers[h] }, headers["x-acs-content-sha256"])
	wantCreq := strings.Join([]string{
		"POST", "/", "InstanceIds=%5B%22i-1%22%5D&RegionId=cn-hangzhou&Tag.1.Key=k%201",
		"host:127.0.0.1:8080", "x-acs-action:DescribeInstances",
		"x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"x-acs-date:2024-01-01T00:00:00Z", "x-acs-signature-nonce:0123456789abcdef0123456789abcdef",
		"x-acs-version:2014-05-26", "",
		"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}, "\n")
	if creq != wantCreq {
		t.Fatalf("canonical request:\n got %q\nwant %q", creq, wantCreq)
	}
	sts := protocol.StringToSignV3(creq)
	if want := "ACS3-HMAC-SHA256\n04393d151b61a89013d4dbe4e611c4d272ea85cfa7c4f83fbe597e7ec27900bb"; sts != want {
		t.Fatalf("string to sign = %q, want %q", sts, want)
	}
	if !protocol.VerifyV3(sts, "testsecret", auth.Signature) {
		t.Fatal("VerifyV3 rejected the vector")
	}
	if protocol.VerifyV3(sts, "other", auth.Signature) {
		t.Fatal("VerifyV3 accepted a wrong secret")
	}
}

func TestParseV3AuthorizationMalformed(t *testing.T) {
	for _, h := range []string{
		"", "ACS3-HMAC-SHA256", "Bearer x", "ACS3-HMAC-SHA256 Credential=a",
		"ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host", "ACS3-HMAC-SHA256 Credential=a,Foo=b,Signature=c,SignedHeaders=host",
		"ACS3-HMAC-SHA256 garbage",
	} {
		if _, err := protocol.ParseV3Authorization(h); err == nil {
			t.Errorf("ParseV3Authorization(%q) accepted", h)
		}
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc-_.~", "abc-_.~"}, {"a b", "a%20b"}, {"*", "%2A"}, {"+/=", "%2B%2F%3D"}, {"é", "%C3%A9"},
	}
	for _, tt := range tests {
		if got := protocol.PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
