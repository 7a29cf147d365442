package protocol_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

const formType = "application/x-www-form-urlencoded"

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		header      map[string]string
		wantParams  url.Values
		wantQuery   url.Values
		wantAction  string
		wantVersion string
		wantFormat  string
	}{
		{
			name: "query only", method: "POST", target: "/?Action=A&Version=2014-05-26&RegionId=cn-hangzhou",
			wantParams: url.Values{"Action": {"A"}, "Version": {"2014-05-26"}, "RegionId": {"cn-hangzhou"}},
			wantAction: "A", wantVersion: "2014-05-26", wantFormat: "JSON",
		},
		{
			name: "form body merged on POST", method: "POST", target: "/?Action=A&Version=V", contentType: formType,
			body:       "UserData=a+b%2Bc&Tag.1.Key=k",
			wantParams: url.Values{"Action": {"A"}, "Version": {"V"}, "UserData": {"a b+c"}, "Tag.1.Key": {"k"}},
			wantQuery:  url.Values{"Action": {"A"}, "Version": {"V"}},
			wantAction: "A", wantVersion: "V", wantFormat: "JSON",
		},
		{
			name: "form body on GET (v1 CommonRequest)", method: "GET", target: "/?Action=A&Version=V", contentType: formType,
			body:       "Bar=c+d",
			wantParams: url.Values{"Action": {"A"}, "Version": {"V"}, "Bar": {"c d"}},
			wantQuery:  url.Values{"Action": {"A"}, "Version": {"V"}},
			wantAction: "A", wantVersion: "V", wantFormat: "JSON",
		},
		{
			name: "body wins over query", method: "POST", target: "/?Action=A&Version=V&Name=query", contentType: formType + "; charset=utf-8",
			body:       "Name=body",
			wantParams: url.Values{"Action": {"A"}, "Version": {"V"}, "Name": {"body"}},
			wantQuery:  url.Values{"Action": {"A"}, "Version": {"V"}, "Name": {"query"}},
			wantAction: "A", wantVersion: "V", wantFormat: "JSON",
		},
		{
			name: "non-form body is not parameters", method: "POST", target: "/?Action=A&Version=V", contentType: "application/octet-stream",
			body:       "Name=body",
			wantParams: url.Values{"Action": {"A"}, "Version": {"V"}},
			wantAction: "A", wantVersion: "V", wantFormat: "JSON",
		},
		{
			name: "plus decodes to space, empty values kept", method: "POST", target: "/?Tag.1.Key=k+1&SignatureType=&Action=A",
			wantParams: url.Values{"Tag.1.Key": {"k 1"}, "SignatureType": {""}, "Action": {"A"}},
			wantAction: "A", wantFormat: "JSON",
		},
		{
			name: "V3 action and version from x-acs headers", method: "POST", target: "/?RegionId=cn-hangzhou",
			header:     map[string]string{"x-acs-action": "DescribeRegions", "x-acs-version": "2014-05-26"},
			wantParams: url.Values{"RegionId": {"cn-hangzhou"}},
			wantAction: "DescribeRegions", wantVersion: "2014-05-26", wantFormat: "JSON",
		},
		{
			name: "query beats x-acs headers", method: "POST", target: "/?Action=Q&Version=1",
			header:     map[string]string{"x-acs-action": "H", "x-acs-version": "2"},
			wantParams: url.Values{"Action": {"Q"}, "Version": {"1"}},
			wantAction: "Q", wantVersion: "1", wantFormat: "JSON",
		},
		{
			name: "Format XML", method: "POST", target: "/?Format=XML",
			wantParams: url.Values{"Format": {"XML"}}, wantFormat: "XML",
		},
		{
			name: "Format xml any case", method: "POST", target: "/?Format=xMl",
			wantParams: url.Values{"Format": {"xMl"}}, wantFormat: "XML",
		},
		{
			name: "Format json lower case (Tea V1)", method: "POST", target: "/?Format=json",
			wantParams: url.Values{"Format": {"json"}}, wantFormat: "JSON",
		},
		{
			name: "Format in the body", method: "POST", target: "/", contentType: formType, body: "Format=XML",
			wantParams: url.Values{"Format": {"XML"}}, wantQuery: url.Values{}, wantFormat: "XML",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				hr.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				hr.Header.Set(k, v)
			}
			r, err := protocol.ParseRequest(hr)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Params, tt.wantParams) {
				t.Errorf("Params = %v, want %v", r.Params, tt.wantParams)
			}
			wantQuery := tt.wantQuery
			if wantQuery == nil {
				wantQuery = tt.wantParams
			}
			if !reflect.DeepEqual(r.Query, wantQuery) {
				t.Errorf("Query = %v, want %v", r.Query, wantQuery)
			}
			if r.Action != tt.wantAction || r.Version != tt.wantVersion || r.Format != tt.wantFormat {
				t.Errorf("Action/Version/Format = %q/%q/%q, want %q/%q/%q", r.Action, r.Version, r.Format,
					tt.wantAction, tt.wantVersion, tt.wantFormat)
			}
			if string(r.Body) != tt.body {
				t.Errorf("Body = %q, want %q", r.Body, tt.body)
			}
			if r.Method != tt.method || r.Host != hr.Host || r.Path != "/" {
				t.Errorf("Method/Host/Path = %q/%q/%q", r.Method, r.Host, r.Path)
			}
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestParseRequestBodyLimit(t *testing.T) {
	tests := []struct {
		name          string
		size          int
		contentLength int64 // -1: unknown (chunked)
		wantStatus    int   // 0: accepted
	}{
		{"at the limit", protocol.MaxBodyBytes, protocol.MaxBodyBytes, 0},
		{"over the limit, declared", protocol.MaxBodyBytes + 1, protocol.MaxBodyBytes + 1, http.StatusRequestEntityTooLarge},
		{"over the limit, chunked", 3 * protocol.MaxBodyBytes, -1, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingReader{r: strings.NewReader("A=" + strings.Repeat("x", tt.size-2))}
			hr := httptest.NewRequest("POST", "/?Action=A", body)
			hr.ContentLength = tt.contentLength
			hr.Header.Set("Content-Type", formType)
			r, err := protocol.ParseRequest(hr)
			if tt.wantStatus == 0 {
				if err != nil || len(r.Params.Get("A")) != tt.size-2 {
					t.Fatalf("err %v", err)
				}
				return
			}
			var e *localyun.Error
			if !errors.As(err, &e) || e.Status != tt.wantStatus || e.Code != "RequestEntityTooLarge" {
				t.Fatalf("err %#v, want %d RequestEntityTooLarge", err, tt.wantStatus)
			}
			if body.n > protocol.MaxBodyBytes+1 {
				t.Errorf("read %d bytes, more than the limit", body.n)
			}
			if r == nil {
				t.Fatal("no request returned with the error (the error writer needs its Format)")
			}
		})
	}
}

func TestParseRequestMalformed(t *testing.T) {
	tests := []struct {
		name, target, body string
	}{
		{"bad query escape", "/?A=%zz", ""},
		{"bad form escape", "/", "A=%zz"},
	}
	t.Run("unknown Format", func(t *testing.T) {
		r, err := protocol.ParseRequest(httptest.NewRequest("POST", "/?Format=YAML&Action=A", nil))
		var e *localyun.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Code != "InvalidParameter.Format" || e.Message != "Specified parameter format is not valid." {
			t.Fatalf("err %#v", err)
		}
		if r == nil || r.Format != protocol.FormatJSON || r.Action != "A" {
			t.Fatalf("request %+v: the error is written in JSON", r)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			hr.URL.RawQuery = strings.TrimPrefix(tt.target, "/?")
			if tt.target == "/" {
				hr.URL.RawQuery = ""
			}
			hr.Header.Set("Content-Type", formType)
			_, err := protocol.ParseRequest(hr)
			var e *localyun.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != "InvalidParameter" {
				t.Fatalf("err %#v, want 400 InvalidParameter", err)
			}
		})
	}
}

func TestRequestAccessors(t *testing.T) {
	hr := httptest.NewRequest("POST", "/?InstanceId.1=a&InstanceId.2=b&InstanceId.4=d&N=12&Bad=x&B=TRUE&Empty=", nil)
	r, err := protocol.ParseRequest(hr)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.RepeatList("InstanceId"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("RepeatList = %v", got)
	}
	if n, ok, err := r.Int("N"); n != 12 || !ok || err != nil {
		t.Errorf("Int(N) = %d, %v, %v", n, ok, err)
	}
	if _, ok, err := r.Int("Bad"); !ok || err == nil {
		t.Errorf("Int(Bad) = %v, %v", ok, err)
	}
	if _, ok, err := r.Int("Empty"); ok || err != nil {
		t.Errorf("Int(Empty) = %v, %v", ok, err)
	}
	if b, ok, err := r.Bool("B"); !b || !ok || err != nil {
		t.Errorf("Bool(B) = %v, %v, %v", b, ok, err)
	}
	if !r.Has("Empty") || r.Has("Missing") || r.Get("Missing") != "" {
		t.Error("Has/Get")
	}
}

func TestMuxLookup(t *testing.T) {
	m := protocol.NewMux()
	protocol.Handle(m, protocol.Product{Name: "Ecs", Version: "2014-05-26", Service: "ecs"}, protocol.Action[struct{}]{
		Name:  "DescribeRegions",
		Parse: func(*protocol.Request) (struct{}, error) { return struct{}{}, nil },
		Resources: func(context.Context, localyun.Principal, struct{}) ([]string, error) {
			return []string{"acs:ecs:*:*:*"}, nil
		},
		Serve: func(context.Context, struct{}) (any, error) { return nil, nil },
	})
	tests := []struct {
		version, action string
		wantCode        string
		wantStatus      int
	}{
		{"2014-05-26", "DescribeRegions", "", 0},
		{"2014-05-26", "", "MissingAction", 400},
		{"", "DescribeRegions", "MissingVersion", 400},
		{"", "", "MissingAction", 400},
		{"2099-01-01", "DescribeRegions", "InvalidVersion", 400},
		{"2014-05-26", "NoSuchAction", "InvalidAction.NotFound", 404},
		{"2014-05-26", "describeregions", "InvalidAction.NotFound", 404},
	}
	for _, tt := range tests {
		rt, err := m.Lookup(tt.version, tt.action)
		if tt.wantCode == "" {
			if err != nil || rt.Product.Name != "Ecs" || rt.RAMAction != "ecs:DescribeRegions" || rt.Action != tt.action {
				t.Errorf("Lookup(%q,%q) = %+v, %v", tt.version, tt.action, rt, err)
			}
			continue
		}
		var e *localyun.Error
		if !errors.As(err, &e) || e.Code != tt.wantCode || e.Status != tt.wantStatus {
			t.Errorf("Lookup(%q,%q) error %v, want %s/%d", tt.version, tt.action, err, tt.wantCode, tt.wantStatus)
		}
	}
	if m.ProductOf("2014-05-26") != "Ecs" || m.ProductOf("x") != "" {
		t.Error("ProductOf")
	}
}
