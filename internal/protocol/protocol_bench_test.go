package protocol_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/localyun/localyun/internal/protocol"
)

// benchParams are the parameters of a DescribeInstanceRamRole call as the
// v1 SDK signs it.
func benchParams() url.Values {
	v := url.Values{
		"AccessKeyId":      {"LTAIbench0000000000000001"},
		"Action":           {"DescribeInstanceRamRole"},
		"Format":           {"JSON"},
		"InstanceIds":      {`["i-bench000000000000042"]`},
		"RegionId":         {"cn-hangzhou"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"0123456789abcdef0123456789abcdef"},
		"SignatureType":    {""},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2026-01-02T03:04:05Z"},
		"Version":          {"2014-05-26"},
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1("POST", v), "secret"))
	return v
}

func BenchmarkStringToSignV1(b *testing.B) {
	v := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		protocol.StringToSignV1("POST", v)
	}
}

func BenchmarkVerifyV1(b *testing.B) {
	v := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := protocol.VerifyV1("POST", v, "secret"); !ok {
			b.Fatal("signature does not verify")
		}
	}
}

func BenchmarkPercentEncode(b *testing.B) {
	s := `["i-bench000000000000042","i-bench000000000000044"]`
	b.ReportAllocs()
	for b.Loop() {
		protocol.PercentEncode(s)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	target := "http://127.0.0.1/?" + benchParams().Encode()
	b.ReportAllocs()
	for b.Loop() {
		hr := httptest.NewRequest(http.MethodPost, target, http.NoBody)
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := protocol.ParseRequest(hr); err != nil {
			b.Fatal(err)
		}
	}
}

type benchSet struct {
	InstanceID  string `json:"InstanceId" xml:"InstanceId"`
	RAMRoleName string `json:"RamRoleName" xml:"RamRoleName"`
}

type benchResponse struct {
	RegionID   string `json:"RegionId" xml:"RegionId"`
	TotalCount int    `json:"TotalCount" xml:"TotalCount"`
	Sets       struct {
		Set []benchSet `json:"InstanceRamRoleSet" xml:"InstanceRamRoleSet"`
	} `json:"InstanceRamRoleSets" xml:"InstanceRamRoleSets"`
}

func benchBody(n int) benchResponse {
	out := benchResponse{RegionID: "cn-hangzhou", TotalCount: n}
	for i := 0; i < n; i++ {
		out.Sets.Set = append(out.Sets.Set, benchSet{InstanceID: "i-bench00000000000000" + strings.Repeat("7", 1), RAMRoleName: "bench-role-0042"})
	}
	return out
}

func BenchmarkEncodeResponse(b *testing.B) {
	for _, c := range []struct {
		name, format string
		n            int
	}{{"JSON/1", protocol.FormatJSON, 1}, {"JSON/100", protocol.FormatJSON, 100}, {"XML/1", protocol.FormatXML, 1}} {
		b.Run(c.name, func(b *testing.B) {
			v := benchBody(c.n)
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := protocol.EncodeResponse(&buf, c.format, "DescribeInstanceRamRole", "0D2E7A44-6C8B-4C66-9B4E-2F1F6B8E8A11", v); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkWriteResponse(b *testing.B) {
	v := benchBody(1)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		if err := protocol.WriteResponse(w, protocol.FormatJSON, "DescribeInstanceRamRole", "0D2E7A44-6C8B-4C66-9B4E-2F1F6B8E8A11", v); err != nil {
			b.Fatal(err)
		}
	}
}
