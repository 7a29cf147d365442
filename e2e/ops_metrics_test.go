package e2e_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is one reading of a server's /metrics, parsed from the
// Prometheus text format.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, addr string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value is the counter, gauge or histogram count of the metric name whose
// labels include labels (name=value pairs), summed over the series; 0
// when there is none.
func (s scrape) value(name string, labels ...string) float64 {
	base, suffix := name, ""
	for _, suf := range []string{"_count", "_sum"} {
		if b, ok := strings.CutSuffix(name, suf); ok && s[b] != nil && s[b].GetType() == dto.MetricType_HISTOGRAM {
			base, suffix = b, suf
		}
	}
	f := s[base]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil && suffix == "_sum":
			total += m.Histogram.GetSampleSum()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
		}) {
			return false
		}
	}
	return true
}

// TestOperationsMetrics drives API calls (official SDK), metadata
// credentials (the credentials URI) and SSH sessions through the gateway
// (unmodified OpenSSH) through a real `localyun serve`, scrapes /metrics
// over HTTP before and after, and checks that each count moved by what was
// done.
func TestOperationsMetrics(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	n := w.nodes[0]
	e := &env{t: t, Host: n.Addr}
	admin := e.v1Client(gwKey, gwSecret)
	before := scrapeMetrics(t, n.Addr)

	// API: a role for ECS and an instance holding it; one refused call.
	trust := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	if _, err := e.common(admin, "Ram", ramVersion, "CreateRole", "JSON", P{"RoleName": "OpsRole", "AssumeRolePolicyDocument": trust}); err != nil {
		t.Fatal(err)
	}
	res, err := e.common(admin, "Ecs", ecsVersion, "RunInstances", "JSON", runParams(P{"RamRoleName": "OpsRole"}))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := decodeJSON(res.GetHttpContentBytes())
	inst := str(body["InstanceIdSets"].(map[string]any)["InstanceIdSet"].([]any)[0])
	if _, err := e.common(admin, "Ram", ramVersion, "GetRole", "JSON", P{"RoleName": "NoSuchRole"}); err == nil {
		t.Fatal("GetRole of a missing role succeeded")
	}

	// Metadata: the credentials URI twice (a new session, then the same
	// one) and once with a wrong secret.
	uri := metadataURI(t, n, inst)
	for _, u := range []string{uri, uri, uri[:strings.LastIndex(uri, "/")+1] + "wrong"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// SSH: alice and bob hold sessions to db; detaching ops cuts alice's.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ss := w.holdSessions(ctx, n, "alice", "bob")
	live := scrapeMetrics(t, n.Addr)
	w.detachOps(n)
	if _, ok := ss["alice"].endedWithin(cutBound, time.Now()); !ok {
		t.Fatal("alice's session was not cut")
	}
	var after scrape
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = scrapeMetrics(t, n.Addr)
		if after.value("localyun_ssh_sessions_ended_total", "reason", "revoked") > 0 || time.Now().After(deadline) {
			break
		}
	}

	delta := func(name string, labels ...string) float64 {
		return after.value(name, labels...) - before.value(name, labels...)
	}
	checks := []struct {
		what      string
		got, want float64
		atLeast   bool
	}{
		{"CreateRole 200", delta("localyun_requests_total", "product", "Ram", "action", "CreateRole", "status", "200"), 1, false},
		{"GetRole 404", delta("localyun_requests_total", "product", "Ram", "action", "GetRole", "status", "404"), 1, false},
		{"RunInstances latency", delta("localyun_action_duration_seconds_count", "product", "Ecs", "action", "RunInstances"), 1, false},
		{"Ram latency", delta("localyun_request_duration_seconds_count", "product", "Ram"), 2, true},
		{"store transactions", delta("localyun_store_transaction_duration_seconds_count"), 3, true},
		{"credentials new", delta("localyun_metadata_credentials_issued_total", "session", "new"), 1, false},
		{"credentials reused", delta("localyun_metadata_credentials_issued_total", "session", "reused"), 1, false},
		{"metadata 200", delta("localyun_metadata_requests_total", "via", "credentials_uri", "status", "200"), 2, false},
		{"metadata 401", delta("localyun_metadata_requests_total", "via", "credentials_uri", "status", "401"), 1, false},
		{"ssh live while held", live.value("localyun_ssh_sessions_live"), 2, false},
		{"ssh live after the cut", after.value("localyun_ssh_sessions_live"), 1, false},
		{"ssh cut by revocation", delta("localyun_ssh_sessions_ended_total", "reason", "revoked"), 1, false},
		{"audit events queued (the wrong secret's refusal)", delta("localyun_audit_events_written_total"), 1, true},
		{"audit events dropped", delta("localyun_audit_events_dropped_total"), 0, false},
		{"ssh password logins", delta("localyun_ssh_logins_total", "method", "password", "result", "ok"), 2, true},
	}
	for _, c := range checks {
		if c.got != c.want && !(c.atLeast && c.got > c.want) {
			t.Errorf("%s: moved by %v, want %v", c.what, c.got, c.want)
		}
	}
	if after.value("localyun_store_transaction_duration_seconds_sum") <= 0 {
		t.Error("localyun_store_transaction_duration_seconds_sum is 0")
	}
}

// metadataURI is the credentials URI of inst on node n, with its secret in
// the path, as `localyun metadata-url --credentials-uri --path-secret`
// prints it.
func metadataURI(t *testing.T, n *gwNode, inst string) string {
	t.Helper()
	key := ""
	for i, a := range n.cmd.Args {
		if a == "--master-key-file" {
			key = n.cmd.Args[i+1]
		}
	}
	out, err := exec.Command(localyunBinary(t), "metadata-url", inst, "--addr", n.Addr, "--master-key-file", key,
		"--credentials-uri", "--path-secret").Output()
	if err != nil {
		t.Fatalf("metadata-url: %v", err)
	}
	return strings.TrimSpace(string(out))
}
