package protocol_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

type item struct {
	ID   string   `json:"Id" xml:"Id"`
	Tags []string `json:"Tags" xml:"Tags"`
}

type nested struct {
	TotalCount int    `json:"TotalCount" xml:"TotalCount"`
	Name       string `json:"Name" xml:"Name"`
	Items      struct {
		Item []item `json:"Item" xml:"Item"`
	} `json:"Items" xml:"Items"`
}

func TestEncodeResponse(t *testing.T) {
	full := nested{TotalCount: 2, Name: `a<b>&"c"`}
	full.Items.Item = []item{{ID: "i-1", Tags: []string{"x", "y"}}, {ID: "i-2", Tags: []string{}}}
	empty := nested{}
	empty.Items.Item = []item{}
	const rid = "0E0AC82F-B026-5C39-91F4-B7E63A2D1332"
	const head = `<?xml version="1.0" encoding="UTF-8"?>`
	tests := []struct {
		name     string
		v        any
		wantJSON string
		wantXML  string
	}{
		{"nil", nil, `{"RequestId":"` + rid + `"}`,
			head + `<ActResponse><RequestId>` + rid + `</RequestId></ActResponse>`},
		{"empty struct", struct{}{}, `{"RequestId":"` + rid + `"}`,
			head + `<ActResponse><RequestId>` + rid + `</RequestId></ActResponse>`},
		{"nested lists", full,
			`{"RequestId":"` + rid + `","TotalCount":2,"Name":"a<b>&\"c\"","Items":{"Item":[{"Id":"i-1","Tags":["x","y"]},{"Id":"i-2","Tags":[]}]}}`,
			head + `<ActResponse><RequestId>` + rid + `</RequestId><TotalCount>2</TotalCount><Name>a&lt;b&gt;&amp;&#34;c&#34;</Name>` +
				`<Items><Item><Id>i-1</Id><Tags>x</Tags><Tags>y</Tags></Item><Item><Id>i-2</Id></Item></Items></ActResponse>`},
		{"empty list", empty,
			`{"RequestId":"` + rid + `","TotalCount":0,"Name":"","Items":{"Item":[]}}`,
			head + `<ActResponse><RequestId>` + rid + `</RequestId><TotalCount>0</TotalCount><Name></Name><Items></Items></ActResponse>`},
		{"pointer", &full.Items.Item[0], `{"RequestId":"` + rid + `","Id":"i-1","Tags":["x","y"]}`,
			head + `<ActResponse><RequestId>` + rid + `</RequestId><Id>i-1</Id><Tags>x</Tags><Tags>y</Tags></ActResponse>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := protocol.EncodeResponse(&buf, protocol.FormatJSON, "Act", rid, tt.v); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.wantJSON {
				t.Errorf("JSON\n got %s\nwant %s", got, tt.wantJSON)
			}
			buf.Reset()
			if err := protocol.EncodeResponse(&buf, protocol.FormatXML, "Act", rid, tt.v); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.wantXML {
				t.Errorf("XML\n got %s\nwant %s", got, tt.wantXML)
			}
		})
	}
}

func TestEncodeResponseNotAnObject(t *testing.T) {
	for _, v := range []any{[]string{"a"}, "text", 3} {
		var buf bytes.Buffer
		if err := protocol.EncodeResponse(&buf, protocol.FormatJSON, "Act", "rid", v); err == nil {
			t.Errorf("JSON accepted %#v: %s", v, buf.String())
		}
	}
}

func TestWriteResponseUnencodable(t *testing.T) {
	// A map has no XML form: nothing may be written, so the caller can
	// still answer with an error.
	w := httptest.NewRecorder()
	if err := protocol.WriteResponse(w, protocol.FormatXML, "Act", "RID", map[string]any{"A": 1}); err == nil {
		t.Fatal("no error for a map in XML")
	}
	if w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Fatalf("wrote %d %v %q", w.Code, w.Header(), w.Body.String())
	}
	var buf bytes.Buffer
	if err := protocol.EncodeResponse(&buf, protocol.FormatJSON, "Act", "RID", map[string]any{"B": 1, "A": "x"}); err != nil ||
		buf.String() != `{"RequestId":"RID","A":"x","B":1}` {
		t.Fatalf("JSON map: %s, %v", buf.String(), err)
	}
}

func TestWriteResponseHeaders(t *testing.T) {
	for _, tt := range []struct{ format, ct string }{
		{protocol.FormatJSON, "application/json;charset=utf-8"},
		{protocol.FormatXML, "text/xml;charset=utf-8"},
	} {
		w := httptest.NewRecorder()
		if err := protocol.WriteResponse(w, tt.format, "Act", "RID-1", nil); err != nil {
			t.Fatal(err)
		}
		if w.Code != 200 || w.Header().Get("Content-Type") != tt.ct || w.Header().Get("x-acs-request-id") != "RID-1" {
			t.Errorf("%s: %d %v", tt.format, w.Code, w.Header())
		}
	}
}

func TestWriteError(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name       string
		format     string
		err        error
		wantStatus int
		wantCT     string
		wantBody   string
	}{
		{"api error JSON", protocol.FormatJSON,
			&localyun.Error{Status: 404, Code: "InvalidAction.NotFound", Message: "Specified api is not found, please check your url and method."},
			404, "application/json;charset=utf-8",
			`{"RequestId":"RID","HostId":"h:1","Code":"InvalidAction.NotFound","Message":"Specified api is not found, please check your url and method.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidAction.NotFound&product=Ecs&requestId=RID"}` + "\n"},
		{"api error XML", protocol.FormatXML,
			&localyun.Error{Status: 400, Code: "MissingSignature", Message: "Signature is mandatory for this action."},
			400, "text/xml;charset=utf-8",
			`<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>RID</RequestId><HostId>h:1</HostId><Code>MissingSignature</Code><Message>Signature is mandatory for this action.</Message><Recommend>https://api.aliyun.com/troubleshoot?q=MissingSignature&amp;product=Ecs&amp;requestId=RID</Recommend></Error>`},
		{"wrapped kind", protocol.FormatJSON, fmt.Errorf("x: %w", localyun.ErrNotFound), 404, "application/json;charset=utf-8", ""},
		{"unknown error is a 500 without the cause", protocol.FormatJSON, errors.New("secret detail"), 500, "application/json;charset=utf-8",
			`{"RequestId":"RID","HostId":"h:1","Code":"InternalError","Message":"The request processing has failed due to some unknown error, exception or failure.","Recommend":"https://api.aliyun.com/troubleshoot?q=InternalError&product=Ecs&requestId=RID"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			protocol.WriteError(w, log, protocol.ErrorInfo{RequestID: "RID", Host: "h:1", Product: "Ecs", Format: tt.format}, tt.err)
			if w.Code != tt.wantStatus || w.Header().Get("Content-Type") != tt.wantCT || w.Header().Get("x-acs-request-id") != "RID" {
				t.Errorf("status %d headers %v", w.Code, w.Header())
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("body\n got %s\nwant %s", w.Body.String(), tt.wantBody)
			}
		})
	}
}

func TestAsAPIError(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{localyun.ErrNotFound, http.StatusNotFound},
		{localyun.ErrAlreadyExists, http.StatusConflict},
		{localyun.ErrConflict, http.StatusConflict},
		{localyun.ErrInvalid, http.StatusBadRequest},
		{localyun.ErrDenied, http.StatusForbidden},
		{localyun.ErrUnavailable, http.StatusServiceUnavailable},
		{errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := protocol.AsAPIError(fmt.Errorf("ctx: %w", tt.err)); got.Status != tt.status {
			t.Errorf("AsAPIError(%v).Status = %d, want %d", tt.err, got.Status, tt.status)
		}
	}
}
