package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/sqlstore"
)

// metrics is what /metrics exposes: the Go runtime and process collectors
// (goroutines, resident memory, open descriptors), the requests served, by
// product, action and code, and their latency; the store's transactions;
// the metadata service's requests and credentials; the SSH gateway's
// logins and sessions.
type metrics struct {
	http.Handler
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// actionLatency is latency by product and action: only served actions
	// name a label (observe), so the set is bounded by the action table.
	actionLatency *prometheus.HistogramVec
	metadata      *prometheus.CounterVec

	access *slog.Logger // the access log (accesslog.go); nil: off
}

// windowSize is implemented by replay windows that can count their nonces.
type windowSize interface{ Len() int }

func newMetrics(s *Server, opts Options) *metrics {
	reg := prometheus.NewRegistry()
	buckets := []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}
	m := &metrics{
		Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		reg:     reg,
		access:  opts.AccessLog,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "localyun_requests_total",
			Help: "API requests answered, by product, action and HTTP status.",
		}, []string{"product", "action", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "localyun_request_duration_seconds",
			Help:    "Time from the request's headers to its answer, by product.",
			Buckets: buckets,
		}, []string{"product"}),
		actionLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "localyun_action_duration_seconds",
			Help:    "Time from the request's headers to its answer, by product and served action (\"unknown\" for the rest).",
			Buckets: buckets,
		}, []string{"product", "action"}),
		metadata: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "localyun_metadata_requests_total",
			Help: "Requests to the instance metadata service, by the way it was reached (proxy, credentials, credentials_uri, listener) and HTTP status.",
		}, []string{"via", "status"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.actionLatency, m.metadata, issuedCollector{s})
	if n, ok := s.nonces.(windowSize); ok {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "localyun_replay_window_nonces",
			Help: "Signature nonces held by this process's replay window.",
		}, func() float64 { return float64(n.Len()) }))
	}
	if cs, ok := s.store.(commitStats); ok {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "localyun_store_write_transactions_total",
			Help: "Write transactions the embedded store committed.",
		}, func() float64 { w, _ := cs.CommitStats(); return float64(w) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "localyun_store_commits_total",
				Help: "Commits of the embedded store, each one fsync of its WAL on disk (write transactions share them).",
			}, func() float64 { _, c := cs.CommitStats(); return float64(c) }),
			batchSizes{cs})
	}
	if tt, ok := s.store.(txTimer); ok {
		reg.MustRegister(txTimes{tt.TxTimes()})
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "localyun_audit_events_dropped_total",
		Help: "Audit events written on their own (denials, sign-ins, metadata refusals) dropped because the audit queue was full, or lost in a failed write.",
	}, func() float64 { return float64(s.AuditEventsDropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "localyun_audit_events_written_total",
			Help: "Audit events written on their own, through the audit queue (the events of changes ride in the changes' transactions).",
		}, func() float64 { return float64(s.audit.Written()) }))
	if opts.SSHStats != nil {
		reg.MustRegister(sshCollector(opts.SSHStats))
	}
	return m
}

// commitStats is implemented by stores whose write transactions share
// commits (SQLite's group commit).
type commitStats interface {
	CommitStats() (writes, commits uint64)
	CommitBatchSizes() (upper []float64, commits []uint64)
}

// batchSizes is the histogram of write transactions per commit.
type batchSizes struct{ cs commitStats }

var batchSizesDesc = prometheus.NewDesc("localyun_store_commit_batch_size",
	"Write transactions per commit of the embedded store.", nil, nil)

func (b batchSizes) Describe(ch chan<- *prometheus.Desc) { ch <- batchSizesDesc }

func (b batchSizes) Collect(ch chan<- prometheus.Metric) {
	writes, _ := b.cs.CommitStats()
	upper, commits := b.cs.CommitBatchSizes()
	buckets := make(map[float64]uint64, len(upper))
	for i, u := range upper {
		buckets[u] = commits[i]
	}
	var count uint64
	if n := len(commits); n > 0 {
		count = commits[n-1]
	}
	ch <- prometheus.MustNewConstHistogram(batchSizesDesc, count, float64(writes), buckets)
}

// txTimer is implemented by stores that time their write transactions
// (withTx in internal/sqlite and internal/postgres).
type txTimer interface{ TxTimes() *sqlstore.TxTimes }

// txTimes is the histogram of the store's write transaction durations.
type txTimes struct{ t *sqlstore.TxTimes }

var txTimesDesc = prometheus.NewDesc("localyun_store_transaction_duration_seconds",
	"Time a write transaction of the store takes, from its call (the wait in SQLite's group-commit queue included) to its commit or rollback (PostgreSQL: retries included).", nil, nil)

func (t txTimes) Describe(ch chan<- *prometheus.Desc) { ch <- txTimesDesc }

func (t txTimes) Collect(ch chan<- prometheus.Metric) {
	cumulative, count, sum := t.t.Snapshot()
	buckets := make(map[float64]uint64, len(cumulative))
	for i, c := range cumulative {
		buckets[sqlstore.TxTimeBuckets[i]] = c
	}
	ch <- prometheus.MustNewConstHistogram(txTimesDesc, count, sum, buckets)
}

// issuedCollector counts the credentials the metadata service's default
// issuer (sts.Service.InstanceCredentials) served: new sessions, and the
// instance's current one again.
type issuedCollector struct{ s *Server }

var issuedDesc = prometheus.NewDesc("localyun_metadata_credentials_issued_total",
	"Role credentials served to instances (metadata service, credentials URI), by session: new (a session made) or reused (the instance's current one).",
	[]string{"session"}, nil)

func (c issuedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- issuedDesc }

func (c issuedCollector) Collect(ch chan<- prometheus.Metric) {
	created, reused := c.s.sts.IssuedInstanceCredentials()
	ch <- prometheus.MustNewConstMetric(issuedDesc, prometheus.CounterValue, float64(created), "new")
	ch <- prometheus.MustNewConstMetric(issuedDesc, prometheus.CounterValue, float64(reused), "reused")
}

// observe counts one answered request.
func (m *metrics) observe(w *statusWriter, start time.Time) {
	product, action := "unknown", "unknown"
	if w.info != nil && w.info.Product != "" {
		product = w.info.Product
	}
	if w.action != "" {
		// Only served actions name a label: others must not grow the set.
		action = w.action
	}
	d := time.Since(start).Seconds()
	m.requests.WithLabelValues(product, action, strconv.Itoa(w.status())).Inc()
	m.latency.WithLabelValues(product).Observe(d)
	m.actionLatency.WithLabelValues(product, action).Observe(d)
}

// statusWriter remembers the status code written through it, and what
// the access log tells of the request (accesslog.go).
type statusWriter struct {
	http.ResponseWriter
	code   int
	info   *protocol.ErrorInfo
	action string // the served action, once looked up

	errCode   string             // the API error code written (RecordErrorCode)
	bytes     int64              // body bytes written
	principal localyun.Principal // who signed the request, once authenticated (AccountID set)
	// claimedKey is the AccessKeyId of a request refused authentication.
	claimedKey string
	audit      auditNote // the request's audit event (noteAudit)
}

// RecordErrorCode is told the code of the API error written through w
// (protocol.WriteError), for the access log.
func (w *statusWriter) RecordErrorCode(code string) { w.errCode = code }

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const errPathNotFound = "Specified api is not found, please check your url and method."

// serveNotFound answers a path other than "/" and the health paths: 404
// InvalidAction.NotFound in the envelope of the product the request names.
func (s *Server) serveNotFound(w http.ResponseWriter, hr *http.Request) {
	info := protocol.ErrorInfo{RequestID: s.newRID(), Host: hr.Host, Format: protocol.FormatJSON}
	if r, err := protocol.ParseRequest(hr); r != nil && err == nil {
		info.Format, info.Action = r.Format, r.Action
		info.Product = s.mux.ProductOf(r.Version)
	}
	protocol.WriteError(w, s.log, info, localyun.NewError(http.StatusNotFound, "InvalidAction.NotFound", errPathNotFound))
}
