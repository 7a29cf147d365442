package e2e_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/localyun/localyun"
)

// strayPaths are paths other than "/" and the health paths: every one is
// 404 InvalidAction.NotFound, and nothing it names is executed.
var strayPaths = []string{"/foo", "//", "/%2e%2e/", "/healthzX", "/healthz/", "/metrics/x", "/foo/"}

// pathTransport sends every request of an SDK client to path instead of
// the "/" the SDK builds (the V1 signature does not cover the path).
type pathTransport struct{ path string }

func (t pathTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	setPath(r.URL, t.path)
	return http.DefaultTransport.RoundTrip(r)
}

// setPath makes u's path the escaped path p, sent as written (url.Parse
// would take "//x" for a host).
func setPath(u *url.URL, p string) {
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		panic(err)
	}
	u.Path, u.RawPath = unescaped, p
}

// groupExists reports whether account A has a RAM group of that name.
func (e *env) groupExists(name string) bool {
	e.t.Helper()
	_, err := e.Store.FindGroupByName(context.Background(), accountA, name)
	if err != nil && !errors.Is(err, localyun.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err == nil
}

// TestStrayPathsV1SDK: CreateGroup through the V1 SDK, JSON and XML, sent
// to a path other than "/" → 404 InvalidAction.NotFound in the requested
// format, and no group; the same call on "/" creates it.
func TestStrayPathsV1SDK(t *testing.T) {
	e := newEnv(t)
	for _, path := range strayPaths {
		for _, format := range []string{"JSON", "XML"} {
			t.Run(path+"/"+format, func(t *testing.T) {
				c := e.v1Client(keyA, secretA)
				c.SetTransport(pathTransport{path})
				req := ram.CreateCreateGroupRequest()
				req.Domain, req.Scheme, req.AcceptFormat = e.Host, "http", format
				req.GroupName = "stray-" + format
				_, err := (&ram.Client{Client: *c}).CreateGroup(req)
				apiError(t, format, err, "InvalidAction.NotFound", http.StatusNotFound)
				if e.groupExists(req.GroupName) {
					t.Fatalf("CreateGroup on %s created the group", path)
				}
			})
		}
	}
	req := ram.CreateCreateGroupRequest()
	req.Domain, req.Scheme, req.GroupName = e.Host, "http", "served"
	if _, err := (&ram.Client{Client: *e.v1Client(keyA, secretA)}).CreateGroup(req); err != nil {
		t.Fatal(err)
	}
	if !e.groupExists("served") {
		t.Fatal(`CreateGroup on "/" created no group`)
	}
}

// TestStrayPathsV3SDK: the same through darabonba CallApi (V3 signature,
// which signs the path), JSON only (V3 answers JSON).
func TestStrayPathsV3SDK(t *testing.T) {
	e := newEnv(t)
	c := e.teaClient(keyA, secretA)
	for _, path := range []string{"/foo", "/healthzX", "/foo/bar"} {
		t.Run(path, func(t *testing.T) {
			_, err := callV3Path(c, path, ramVersion, "CreateGroup", map[string]string{"GroupName": "strayv3"})
			teaError(t, err, "InvalidAction.NotFound", http.StatusNotFound)
			if e.groupExists("strayv3") {
				t.Fatalf("CreateGroup on %s created the group", path)
			}
		})
	}
	if _, err := callV3Path(c, "/", ramVersion, "CreateGroup", map[string]string{"GroupName": "strayv3"}); err != nil {
		t.Fatal(err)
	}
	if !e.groupExists("strayv3") {
		t.Fatal(`CreateGroup on "/" created no group`)
	}
}

// callV3Path is callV3 on a path of the caller's choosing.
func callV3Path(c *openapi.Client, path, version, action string, query map[string]string) (map[string]any, error) {
	q := map[string]*string{}
	for k, v := range query {
		q[k] = dara.String(v)
	}
	params := &openapiutil.Params{
		Action: dara.String(action), Version: dara.String(version), Protocol: dara.String("HTTP"),
		Pathname: dara.String(path), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	res, err := c.CallApi(params, &openapiutil.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	body, _ := res["body"].(map[string]any)
	return body, nil
}

// TestStrayPathsRaw: signed V1 requests on the exact paths, read off the
// wire: the error envelope (RequestId, HostId, Code) in JSON or XML as
// Format asks, for any method; GET on the health paths still answers.
func TestStrayPathsRaw(t *testing.T) {
	e := newEnv(t)
	for _, path := range strayPaths {
		for _, format := range []string{"JSON", "XML"} {
			for _, method := range []string{"GET", "POST"} {
				t.Run(path+"/"+format+"/"+method, func(t *testing.T) {
					r := newRawV1()
					r.Method = method
					r.Params.Set("Format", format)
					r.Params.Set("Action", "CreateGroup")
					r.Params.Set("Version", ramVersion)
					r.Params.Set("GroupName", "raw-stray")
					req := r.request(e)
					setPath(req.URL, path)
					status, we, body, h := send(t, req)
					if status != http.StatusNotFound || we.Code != "InvalidAction.NotFound" {
						t.Fatalf("%s %s: %d %s", method, path, status, body)
					}
					wantType := "application/json"
					if format == "XML" {
						wantType = "text/xml"
					}
					if !strings.HasPrefix(h.Get("Content-Type"), wantType) {
						t.Fatalf("Content-Type %q, want %s: %s", h.Get("Content-Type"), wantType, body)
					}
					if e.groupExists("raw-stray") {
						t.Fatalf("CreateGroup on %s created the group", path)
					}
				})
			}
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "ok\n" {
			t.Fatalf("GET %s: %d %q", path, res.StatusCode, b)
		}
	}
}

// TestMetricsPage: after a request, /metrics is a Prometheus text page
// with the request counter and the Go and process collectors.
func TestMetricsPage(t *testing.T) {
	e := newEnv(t)
	req := ram.CreateListGroupsRequest()
	req.Domain, req.Scheme = e.Host, "http"
	if _, err := (&ram.Client{Client: *e.v1Client(keyA, secretA)}).ListGroups(req); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	for _, want := range []string{
		"\n# TYPE localyun_requests_total counter\n",
		`localyun_requests_total{action="ListGroups",product="Ram",status="200"} 1` + "\n",
		"\n# TYPE go_goroutines gauge\ngo_goroutines ",
		"\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
	} {
		if !strings.Contains(page, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, page)
		}
	}
}
