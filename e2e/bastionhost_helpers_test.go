package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/localyun/localyun"
)

const (
	bhProduct = "Yundun-bastionhost"
	bhVersion = "2019-12-09"
	bhInstA   = "bastionhost-cn-test0001"
	bhInstA2  = "bastionhost-cn-test0002"
	bhInstB   = "bastionhost-cn-testb001"
)

// newBastionEnv starts a server with bastion instances: two in account A,
// one in account B.
func newBastionEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	now := time.Now().UTC()
	for _, b := range []struct{ id, account string }{{bhInstA, accountA}, {bhInstA2, accountA}, {bhInstB, accountB}} {
		if err := e.Store.CreateBastionInstance(context.Background(), localyun.BastionInstance{ID: b.id, AccountID: b.account,
			RegionID: region, Status: localyun.BastionRunning, PlanCode: "cloudbastion", VpcID: "vpc-1", VSwitchID: "vsw-1",
			CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// bhCaller calls one Bastionhost action and returns the decoded body.
type bhCaller func(action string, params map[string]string) (map[string]any, error)

// bhClients returns a caller per official client and format: the v1 SDK
// CommonRequest in JSON and XML, and darabonba CallApi (V3 signature).
func (e *env) bhClients(ak, secret string) map[string]bhCaller {
	v1 := e.v1Client(ak, secret)
	v3 := e.teaClient(ak, secret)
	call := func(format string) bhCaller {
		return func(action string, params map[string]string) (map[string]any, error) {
			res, err := e.common(v1, bhProduct, bhVersion, action, format, params)
			if err != nil {
				return nil, err
			}
			if format == "XML" {
				return decodeXMLMap(res.GetHttpContentBytes())
			}
			var body map[string]any
			dec := json.NewDecoder(bytes.NewReader(res.GetHttpContentBytes()))
			dec.UseNumber()
			return body, dec.Decode(&body)
		}
	}
	return map[string]bhCaller{
		"v1-JSON": call("JSON"),
		"v1-XML":  call("XML"),
		"v3": func(action string, params map[string]string) (map[string]any, error) {
			return callV3(v3, bhVersion, action, params)
		},
	}
}

// decodeXMLMap turns an XML response into the map its JSON twin decodes
// to: elements become keys, repeated elements become lists, text is a string.
func decodeXMLMap(b []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root map[string]any
	var stack []map[string]any
	var names []string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			m := map[string]any{}
			if root == nil {
				root = m
			}
			stack = append(stack, m)
			names = append(names, tk.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			m := stack[len(stack)-1]
			stack, names = stack[:len(stack)-1], names[:len(names)-1]
			var v any = m
			if len(m) == 0 {
				v = strings.TrimSpace(text.String())
			}
			text.Reset()
			if len(stack) == 0 {
				continue
			}
			parent, name := stack[len(stack)-1], tk.Name.Local
			switch old := parent[name].(type) {
			case nil:
				parent[name] = v
			case []any:
				parent[name] = append(old, v)
			default:
				parent[name] = []any{old, v}
			}
		}
	}
}

// apiCode returns the HTTP status and error code of an SDK error.
func apiCode(err error) (int, string) {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		if code == "" { // XML errors: the v1 SDK keeps the raw body
			var body struct{ Code string }
			_ = xml.Unmarshal([]byte(se.Message()), &body)
			code = body.Code
			if code == "" {
				if i := strings.Index(se.Error(), "<Code>"); i >= 0 {
					rest := se.Error()[i+6:]
					code = rest[:strings.Index(rest, "<")]
				}
			}
		}
		return se.HttpStatus(), code
	}
	var te *tea.SDKError
	if errors.As(err, &te) {
		return dara.IntValue(te.StatusCode), dara.StringValue(te.Code)
	}
	return 0, fmt.Sprint(err)
}

// p builds a parameter map with InstanceId set.
func p(inst string, kv ...string) map[string]string {
	m := map[string]string{"InstanceId": inst}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) int {
	n, err := strconv.Atoi(str(v))
	if err != nil {
		if f, ok := v.(float64); ok {
			return int(f)
		}
		return -1
	}
	return n
}

// list returns a list field: a JSON array, or in XML one element or many.
func list(v any) []map[string]any {
	out := []map[string]any{}
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			m, _ := it.(map[string]any)
			out = append(out, m)
		}
	case map[string]any:
		out = append(out, x)
	}
	return out
}

// strs returns a list of strings (XML: one element or many).
func strs(v any) []string {
	out := []string{}
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			out = append(out, str(it))
		}
	case string:
		out = append(out, x)
	}
	return out
}

// field collects one field of every item of a list.
func field(items []map[string]any, name string) string {
	var out []string
	for _, it := range items {
		out = append(out, str(it[name]))
	}
	return strings.Join(out, ",")
}
