package server

import (
	"context"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

// blockedStore holds AppendEvents until release closes.
type blockedStore struct {
	localyun.Store
	release chan struct{}
}

func (b blockedStore) AppendEvents(ctx context.Context, evs []localyun.Event) error {
	<-b.release
	return b.Store.AppendEvents(ctx, evs)
}

// TestAuditQueueDrops: a writer that cannot keep up makes the queue drop
// (and count) events rather than wait: a flood of denials slows no one.
func TestAuditQueueDrops(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bs := blockedStore{Store: st, release: make(chan struct{})}
	s := New(Options{Store: bs})
	total := auditQueueSize + 2*auditBatch
	start := time.Now()
	for i := range total {
		s.enqueue(auditItem{ev: localyun.Event{ID: NewRequestID(), AccountID: "1", Time: time.Now(), Name: "x" + string(rune('a'+i%26))}})
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("enqueue waited for the writer")
	}
	dropped := s.AuditEventsDropped()
	if dropped == 0 || dropped > uint64(total) {
		t.Fatalf("dropped %d of %d", dropped, total)
	}
	close(bs.release)
	s.FlushAuditEvents()
	evs, err := st.FindEvents(context.Background(), localyun.EventFilter{AccountID: "1", Limit: total})
	if err != nil || uint64(len(evs))+dropped != uint64(total) {
		t.Fatalf("written %d + dropped %d != %d (%v)", len(evs), dropped, total, err)
	}
}

// TestAuditRetention: the prune loop deletes the events past retention.
func TestAuditRetention(t *testing.T) {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	old := localyun.Event{ID: "old", AccountID: "1", Time: now.Add(-48 * time.Hour)}
	fresh := localyun.Event{ID: "fresh", AccountID: "1", Time: now.Add(-time.Hour)}
	if err := st.AppendEvents(context.Background(), []localyun.Event{old, fresh}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st, Now: func() time.Time { return now }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.pruneEvents(ctx, 24*time.Hour, time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs, _ := st.FindEvents(context.Background(), localyun.EventFilter{AccountID: "1"})
		if len(evs) == 1 && evs[0].ID == "fresh" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events = %v", evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestARNResource(t *testing.T) {
	for arn, want := range map[string]string{
		"acs:ecs:cn-hangzhou:1:instance/i-1":                 "ACS::ECS::Instance i-1",
		"acs:ram::1:role/r":                                  "ACS::RAM::Role r",
		"acs:yundun-bastionhost:cn-hangzhou:1:instance/bh-1": "ACS::BastionHost::Instance bh-1",
		"acs:ecs:cn-hangzhou:1:instance/*":                   "",
		"acs:ram::1:root":                                    "",
		"*":                                                  "",
	} {
		typ, name, ok := arnResource(arn)
		got := ""
		if ok {
			got = typ + " " + name
		}
		if got != want {
			t.Errorf("%s: %q, want %q", arn, got, want)
		}
	}
}

func TestEventIdentity(t *testing.T) {
	for _, tc := range []struct {
		p             localyun.Principal
		typ, userName string
	}{
		{localyun.Principal{AccountID: "1", Type: localyun.PrincipalTypeRoot, AccessKeyID: "k"}, "root-account", "root"},
		{localyun.Principal{AccountID: "1", Type: localyun.PrincipalTypeUser, UserName: "u", AccessKeyID: "k"}, "ram-user", "u"},
		{localyun.Principal{AccountID: "1", Type: localyun.PrincipalTypeAssumed, RoleName: "r", SessionName: "s", AccessKeyID: "STS.k"}, "assumed-role", "r:s"},
	} {
		id := eventIdentity(tc.p)
		if id.Type != tc.typ || id.UserName != tc.userName || id.AccessKeyID != tc.p.AccessKeyID || id.AccountID != "1" {
			t.Errorf("%+v: %+v", tc.p, id)
		}
	}
}
