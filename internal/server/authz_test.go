package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"

	"github.com/localyun/localyun/internal/sqlite"
)

// TestEveryRouteAuthorized checks that every registered route names its
// product's RAM action and documents its resources; protocol.Handle itself
// refuses a non-public route without a Resources function.
func TestEveryRouteAuthorized(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Store: st})
	routes := s.Mux().Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, rt := range routes {
		if rt.RAMAction != rt.Product.Service+":"+rt.Action {
			t.Errorf("route %s %s: RAM action %q", rt.Product.Name, rt.Action, rt.RAMAction)
		}
		if rt.Resource == "" {
			t.Errorf("route %s %s documents no resources", rt.Product.Name, rt.Action)
		}
	}
}

func TestRateLimit(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Options{Store: st, RateLimit: 2, Now: func() time.Time { return now }})
	p := localyun.Principal{AccessKeyID: "k1"}
	for i := 0; i < 2; i++ {
		if err := s.throttle(context.Background(), p); err != nil {
			t.Fatalf("request %d throttled: %v", i, err)
		}
	}
	err = s.throttle(context.Background(), p)
	var e *localyun.Error
	if !errors.As(err, &e) || e.Code != "Throttling.User" || e.Status != 400 || !strings.HasPrefix(e.Header["x-ratelimit-user-api"], "Limit:2,Remain:0,TimeLeft:") {
		t.Fatalf("third request: %v %+v", err, e)
	}
	if err := s.throttle(context.Background(), localyun.Principal{AccessKeyID: "k2"}); err != nil {
		t.Fatalf("another key throttled: %v", err)
	}
	now = now.Add(time.Second)
	if err := s.throttle(context.Background(), p); err != nil {
		t.Fatalf("after a second: %v", err)
	}
}
