package bastionhost_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/sqlite"
)

const grantInst = "bastionhost-cn-grants01"

// racingStore is a real SQLite store that runs meanwhile once before the
// first Apply of a batch: what another request would do between the
// batch's read and its write. With always set, every Apply is a conflict.
type racingStore struct {
	*sqlite.Store
	meanwhile func()
	always    bool
	applies   int
}

func (s *racingStore) race() error {
	s.applies++
	if s.meanwhile != nil {
		s.meanwhile()
		s.meanwhile = nil
	}
	if s.always {
		return fmt.Errorf("test: %w", localyun.ErrConflict)
	}
	return nil
}

func (s *racingStore) ApplyBastionHostGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, version uint64,
	changes []localyun.BastionHostGrantChange) ([]bool, error) {
	if err := s.race(); err != nil {
		return nil, err
	}
	return s.Store.ApplyBastionHostGrants(ctx, instanceID, g, version, changes)
}

func (s *racingStore) ApplyBastionHostGroupGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, version uint64,
	changes []localyun.BastionHostGroupGrantChange) ([]bool, error) {
	if err := s.race(); err != nil {
		return nil, err
	}
	return s.Store.ApplyBastionHostGroupGrants(ctx, instanceID, g, version, changes)
}

// grantWorld is a store with hosts 1 and 2 (accounts 1 and 2 on host 1),
// user group 1 and host group 1, and the service over it.
func grantWorld(t *testing.T) (*racingStore, *bastionhost.Service, context.Context) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nil, st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "grants", CreatedAt: now}))
	must(nil, st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: grantInst, AccountID: seedAccount, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}))
	for _, name := range []string{"h1", "h2"} {
		must(st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: grantInst, Name: name, OSType: "Linux",
			Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: "10.0.0.1", CreatedAt: now}))
	}
	for _, name := range []string{"root", "app"} {
		must(st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: grantInst, HostID: "1", Name: name,
			ProtocolName: "SSH", CreatedAt: now}, localyun.BastionSecret{}))
	}
	must(st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: grantInst, Name: "ops", CreatedAt: now}))
	must(st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupHost, InstanceID: grantInst, Name: "web", CreatedAt: now}))
	rs := &racingStore{Store: st}
	ctx = localyun.NewContextWithPrincipal(ctx, localyun.Principal{AccountID: seedAccount, Type: localyun.PrincipalTypeRoot})
	return rs, bastionhost.NewService(rs, bastionhost.Options{}), ctx
}

func groupRef() bastionhost.GranteeRef {
	return bastionhost.GranteeRef{InstanceRef: bastionhost.InstanceRef{InstanceID: grantInst},
		Grantee: localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: "1"}}
}

func outcomes(rs []localyun.BastionHostGrantResult) string {
	s := ""
	for _, r := range rs {
		s += " " + r.HostID + ":" + r.Outcome
		for _, a := range r.Accounts {
			s += " " + r.HostID + "/" + a.ID + ":" + a.Outcome
		}
	}
	return s
}

// TestGrantBatchDecidedAgain: when a host, an account or the grantee goes
// between a batch's read and its write, the store refuses the write and the
// service decides the batch again on what is there now.
func TestGrantBatchDecidedAgain(t *testing.T) {
	in := bastionhost.HostGrantsInput{GranteeRef: groupRef(),
		Hosts: []localyun.BastionHostGrant{{HostID: "1", AccountIDs: []string{"1", "2"}}, {HostID: "2"}}}
	for _, tc := range []struct {
		name      string
		meanwhile func(st *sqlite.Store) error
		want      string
	}{
		{"host deleted", func(st *sqlite.Store) error { return st.DeleteBastionHost(context.Background(), grantInst, "2") },
			" 1:changed 1/1:changed 1/2:changed 2:missing"},
		{"account deleted", func(st *sqlite.Store) error { return st.DeleteBastionHostAccount(context.Background(), grantInst, "2") },
			" 1:changed 1/1:changed 1/2:missing 2:changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, s, ctx := grantWorld(t)
			st.meanwhile = func() {
				if err := tc.meanwhile(st.Store); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.AttachHostAccountsToUserGroup(ctx, in)
			if err != nil || outcomes(res) != tc.want || st.applies != 2 {
				t.Fatalf("got%s, %v after %d applies; want%s after 2", outcomes(res), err, st.applies, tc.want)
			}
		})
	}
	t.Run("grantee deleted", func(t *testing.T) {
		st, s, ctx := grantWorld(t)
		st.meanwhile = func() {
			if err := st.DeleteBastionGroup(context.Background(), localyun.BastionGroupUser, grantInst, "1"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.DetachHostAccountsFromUserGroup(ctx, in)
		if code := localyun.ErrorCode(err); code != "OBJECT_NOT_FOUND" {
			t.Fatalf("got %v, want OBJECT_NOT_FOUND", err)
		}
	})
	t.Run("host group deleted", func(t *testing.T) {
		st, s, ctx := grantWorld(t)
		st.meanwhile = func() {
			if err := st.DeleteBastionGroup(context.Background(), localyun.BastionGroupHost, grantInst, "1"); err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.AttachHostGroupAccountsToUserGroup(ctx, bastionhost.HostGroupGrantsInput{GranteeRef: groupRef(),
			HostGroups: []localyun.BastionHostGroupGrant{{HostGroupID: "1", AccountNames: []string{"root"}}}})
		if err != nil || len(res) != 1 || res[0].Outcome != localyun.OutcomeMissing ||
			res[0].AccountNames[0].Outcome != localyun.OutcomeMissing || st.applies != 1 {
			t.Fatalf("got %+v, %v after %d applies", res, err, st.applies)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		st, s, ctx := grantWorld(t)
		st.always = true
		_, err := s.DetachHostAccountsFromUserGroup(ctx, in)
		if !errors.Is(err, localyun.ErrConflict) || st.applies != 50 {
			t.Fatalf("got %v after %d applies, want a conflict after 50", err, st.applies)
		}
		wantOperationConflict(t, err)
	})
}

// wantOperationConflict fails unless err is the 409 OperationConflict of a
// change that lost every round, as ECS answers it.
func wantOperationConflict(t *testing.T, err error) {
	t.Helper()
	var e *localyun.Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Code != "OperationConflict" ||
		e.Message != "Request was denied due to conflict with a previous request, please try again later." {
		t.Fatalf("got %v, want 409 OperationConflict", err)
	}
}
