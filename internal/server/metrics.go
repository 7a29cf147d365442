package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// metrics is what /metrics exposes: the Go runtime and process collectors
// (goroutines, resident memory, open descriptors) and the requests served,
// by product, action and code.
type metrics struct {
	http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// windowSize is implemented by replay windows that can count their nonces.
type windowSize interface{ Len() int }

func newMetrics(s *Server) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "localyun_requests_total",
			Help: "API requests answered, by product, action and HTTP status.",
		}, []string{"product", "action", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "localyun_request_duration_seconds",
			Help:    "Time from the request's headers to its answer, by product.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"product"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency)
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
	m.requests.WithLabelValues(product, action, strconv.Itoa(w.status())).Inc()
	m.latency.WithLabelValues(product).Observe(time.Since(start).Seconds())
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code   int
	info   *protocol.ErrorInfo
	action string // the served action, once looked up
}

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
	return w.ResponseWriter.Write(b)
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
