package protocol

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/localyun/localyun"
)

const (
	contentTypeJSON = "application/json;charset=utf-8"
	contentTypeXML  = "text/xml;charset=utf-8"
	xmlHeader       = `<?xml version="1.0" encoding="UTF-8"?>`
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteResponse renders v as the success envelope of action: a flat JSON
// object, or XML under <{Action}Response>, with RequestId first. v must be
// a struct (or a pointer to one; a map renders in JSON only); nil renders
// RequestId alone. It returns an error, having written nothing, when v
// cannot be encoded; a failure to write to the client is not reported.
func WriteResponse(w http.ResponseWriter, format, action, requestID string, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := EncodeResponse(buf, format, action, requestID, v); err != nil {
		return fmt.Errorf("protocol: encode %s response of %s: %w", format, action, err)
	}
	h := w.Header()
	if format == FormatXML {
		h.Set("Content-Type", contentTypeXML)
	} else {
		h.Set("Content-Type", contentTypeJSON)
	}
	h[requestIDHeader] = []string{requestID} // h.Set, spared canonicalizing the key
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// EncodeResponse writes the success envelope to buf.
func EncodeResponse(buf *bytes.Buffer, format, action, requestID string, v any) error {
	if format == FormatXML {
		return encodeXML(buf, action+"Response", requestID, v)
	}
	return encodeJSON(buf, requestID, v)
}

// requestIDHeader is "x-acs-request-id" in canonical form.
const requestIDHeader = "X-Acs-Request-Id"

func encodeJSON(buf *bytes.Buffer, requestID string, v any) error {
	// RequestId as json.Marshal renders it (HTML characters escaped).
	b := appendJSONString(append(buf.AvailableBuffer(), `{"RequestId":`...), requestID, true)
	if f, ok := v.(JSONFields); ok {
		n := len(b)
		if b = f.AppendJSONFields(append(b, ',')); len(b) == n+1 {
			b = b[:n] // no fields
		}
		buf.Write(append(b, '}'))
		return nil
	}
	buf.Write(b)
	if v == nil {
		buf.WriteByte('}')
		return nil
	}
	start := buf.Len()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	body := bytes.TrimSpace(buf.Bytes()[start:])
	if len(body) < 2 || body[0] != '{' {
		return errors.New("protocol: response is not a JSON object")
	}
	inner := body[1 : len(body)-1]
	n := copy(buf.Bytes()[start+1:], inner)
	if n > 0 {
		buf.Bytes()[start] = ','
		buf.Truncate(start + 1 + n)
	} else {
		buf.Truncate(start)
	}
	buf.WriteByte('}')
	return nil
}

func encodeXML(buf *bytes.Buffer, root, requestID string, v any) error {
	buf.WriteString(xmlHeader)
	buf.WriteString("<" + root + "><RequestId>")
	xml.EscapeText(buf, []byte(requestID))
	buf.WriteString("</RequestId>")
	if v != nil {
		// Encode v under a throwaway element and keep only its children.
		const tmp = "x"
		start := buf.Len()
		if err := xml.NewEncoder(buf).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: tmp}}); err != nil {
			return err
		}
		body := buf.Bytes()[start:]
		if bytes.HasPrefix(body, []byte("<x>")) && bytes.HasSuffix(body, []byte("</x>")) {
			inner := body[3 : len(body)-4]
			n := copy(buf.Bytes()[start:], inner)
			buf.Truncate(start + n)
		} else if bytes.Equal(body, []byte("<x></x>")) || bytes.Equal(body, []byte("<x/>")) {
			buf.Truncate(start)
		} else {
			return errors.New("protocol: response did not encode as an XML element")
		}
	}
	buf.WriteString("</" + root + ">")
	return nil
}

// errorBody is the wire form of every error.
type errorBody struct {
	XMLName            xml.Name                     `json:"-" xml:"Error"`
	RequestID          string                       `json:"RequestId" xml:"RequestId"`
	HostID             string                       `json:"HostId" xml:"HostId"`
	Code               string                       `json:"Code" xml:"Code"`
	Message            string                       `json:"Message" xml:"Message"`
	Recommend          string                       `json:"Recommend" xml:"Recommend"`
	AccessDeniedDetail *localyun.AccessDeniedDetail `json:"AccessDeniedDetail,omitempty" xml:"AccessDeniedDetail,omitempty"`
}

// ErrorInfo is what WriteError needs to know about the failed request.
type ErrorInfo struct {
	RequestID string
	Host      string
	Product   string
	Format    string
	Action    string
}

// WriteError is the only place an error reaches the wire. A *localyun.Error
// is written as is; a bare error kind is mapped through one table; anything
// else is a 500 InternalError whose cause is logged, never sent.
func WriteError(w http.ResponseWriter, log *slog.Logger, info ErrorInfo, err error) {
	e := AsAPIError(err)
	if r, ok := w.(interface{ RecordErrorCode(string) }); ok {
		r.RecordErrorCode(e.Code) // the access log's (internal/server/accesslog.go)
	}
	if e.Status >= 500 {
		log.Error("request failed", "request_id", info.RequestID, "action", info.Action, "code", e.Code, "err", err)
	}
	product := info.Product
	if product == "" {
		product = "POP"
	}
	body := errorBody{
		RequestID: info.RequestID,
		HostID:    info.Host,
		Code:      e.Code,
		Message:   e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.Code) +
			"&product=" + url.QueryEscape(product) + "&requestId=" + info.RequestID,
		AccessDeniedDetail: e.Detail,
	}
	h := w.Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	h[requestIDHeader] = []string{info.RequestID}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if info.Format == FormatXML {
		h.Set("Content-Type", contentTypeXML)
		buf.WriteString(xmlHeader)
		_ = xml.NewEncoder(buf).Encode(body)
	} else {
		h.Set("Content-Type", contentTypeJSON)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(body)
	}
	w.WriteHeader(e.Status)
	_, _ = io.Copy(w, buf)
}

// ErrOperationConflict is the answer of every product to a change that lost
// every round to concurrent changes (localyun.ErrTooManyConflicts; cause is
// that error, kept for the log): 409 OperationConflict, with the message of
// the ECS API reference.
func ErrOperationConflict(cause error) error {
	return &localyun.Error{Status: http.StatusConflict, Code: "OperationConflict",
		Message: "Request was denied due to conflict with a previous request, please try again later.", Err: cause}
}

// AsAPIError converts any error to the *localyun.Error that goes on the wire.
func AsAPIError(err error) *localyun.Error {
	var e *localyun.Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, localyun.ErrNotFound):
		return &localyun.Error{Status: http.StatusNotFound, Code: "ResourceNotFound", Message: "The specified resource does not exist.", Err: err}
	case errors.Is(err, localyun.ErrAlreadyExists):
		return &localyun.Error{Status: http.StatusConflict, Code: "ResourceAlreadyExists", Message: "The specified resource already exists.", Err: err}
	case errors.Is(err, localyun.ErrConflict):
		return &localyun.Error{Status: http.StatusConflict, Code: "OperationConflict", Message: "The request conflicts with the state of the resource.", Err: err}
	case errors.Is(err, localyun.ErrInvalid):
		return &localyun.Error{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: "The specified parameter is not valid.", Err: err}
	case errors.Is(err, localyun.ErrDenied):
		return &localyun.Error{Status: http.StatusForbidden, Code: "Forbidden", Message: "You are not authorized to do this action.", Err: err}
	case errors.Is(err, localyun.ErrUnavailable):
		return &localyun.Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Err: err}
	}
	return &localyun.Error{Status: http.StatusInternalServerError, Code: "InternalError",
		Message: "The request processing has failed due to some unknown error, exception or failure.", Err: err}
}
