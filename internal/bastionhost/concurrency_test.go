package bastionhost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestConcurrentModifyUser races ModifyUser calls that each set another
// field of one user: the service reads the user, applies its rules and
// writes it with a compare-and-set, so no call undoes another one's field.
func TestConcurrentModifyUser(t *testing.T) {
	host, root := authzWorld(t)
	const bh = "2019-12-09"
	with := func(kv ...string) map[string]string {
		q := map[string]string{"InstanceId": instHangzhou, "UserId": "1"}
		for i := 0; i+1 < len(kv); i += 2 {
			q[kv[i]] = kv[i+1]
		}
		return q
	}
	if _, err := callV3(root, bh, "CreateUser", map[string]string{"InstanceId": instHangzhou, "UserName": "alice",
		"Source": "Local", "Password": "Passw0rd!x"}); err != nil {
		t.Fatal(err)
	}
	const rounds = 8
	fields := []string{"DisplayName", "Comment", "Email", "Mobile", "EffectiveStartTime", "MobileCountryCode"}
	value := func(param string, round int) string {
		switch param {
		case "DisplayName":
			return "name" + strconv.Itoa(round)
		case "Comment":
			return "comment" + strconv.Itoa(round)
		case "Email":
			return "a" + strconv.Itoa(round) + "@example.com"
		case "Mobile":
			return "1380000000" + strconv.Itoa(round)
		case "EffectiveStartTime":
			return strconv.Itoa(round)
		}
		return []string{"HK", "SG", "US"}[min(round, 2)]
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(fields)*rounds)
	for _, param := range fields {
		wg.Add(1)
		// The writers use the v1 SDK: Tea's dara keeps one http.Client per
		// endpoint for every Tea client and sets its Timeout while other
		// requests read it (a data race inside the SDK).
		c, err := sdk.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(), credentials.NewAccessKeyCredential(seedKey, seedSecret))
		if err != nil {
			t.Fatal(err)
		}
		go func(param string) {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				req := requests.NewCommonRequest()
				req.Method, req.Scheme, req.Domain = "POST", "http", host
				req.Product, req.Version, req.ApiName = "Yundun-bastionhost", bh, "ModifyUser"
				req.QueryParams = with(param, value(param, round))
				if _, err := c.ProcessCommonRequest(req); err != nil {
					errs <- fmt.Errorf("%s round %d: %w", param, round, err)
				}
			}
		}(param)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	body, err := callV3(root, bh, "GetUser", with())
	if err != nil {
		t.Fatal(err)
	}
	user, _ := body["User"].(map[string]any)
	for _, param := range fields {
		if got, want := fmt.Sprint(user[param]), value(param, rounds-1); got != want {
			t.Errorf("%s = %s, want %s (a concurrent ModifyUser undid it)", param, got, want)
		}
	}
}

// losingStore is a real SQLite store whose compare-and-set writes of
// bastion objects always lose: every round, another request changed the
// object since it was read.
type losingStore struct {
	*sqlite.Store
	rounds atomic.Int64
}

func (s *losingStore) lose() error {
	s.rounds.Add(1)
	return fmt.Errorf("test: changed since it was read: %w", localyun.ErrConflict)
}

func (s *losingStore) UpdateBastionHost(context.Context, localyun.BastionHost, localyun.BastionHost) error {
	return s.lose()
}

func (s *losingStore) UpdateBastionHostAccount(context.Context, localyun.BastionHostAccount, localyun.BastionHostAccount,
	localyun.BastionSecretUpdate) error {
	return s.lose()
}

func (s *losingStore) UpdateBastionUser(context.Context, localyun.BastionUser, localyun.BastionUser, localyun.BastionSecretUpdate) error {
	return s.lose()
}

func (s *losingStore) UpdateBastionGroup(context.Context, localyun.BastionGroup, localyun.BastionGroup) error {
	return s.lose()
}

// TestModifyLosingEveryRound: a Modify* whose compare-and-set loses every
// round to concurrent changes gives up after 50 rounds with the 409
// OperationConflict ECS answers in that case.
func TestModifyLosingEveryRound(t *testing.T) {
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	st := &losingStore{Store: sq}
	now := time.Now().UTC()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nil, sq.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "losing", CreatedAt: now}))
	must(nil, sq.CreateAccessKey(ctx, localyun.AccessKey{ID: seedKey, Secret: seedSecret, AccountID: seedAccount,
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(nil, sq.CreateBastionInstance(ctx, localyun.BastionInstance{ID: instHangzhou, AccountID: seedAccount, RegionID: "cn-hangzhou",
		Status: localyun.BastionRunning, CreatedAt: now, ExpiresAt: now}))
	must(sq.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: instHangzhou, Name: "h1", OSType: "Linux",
		Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate, PrivateAddress: "10.0.0.1", CreatedAt: now}))
	must(sq.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: instHangzhou, HostID: "1", Name: "root",
		ProtocolName: "SSH", CreatedAt: now}, localyun.BastionSecret{}))
	must(sq.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: instHangzhou, Name: "alice", Source: localyun.BastionUserLocal,
		CreatedAt: now}, localyun.BastionSecret{Password: "Passw0rd!x"}))
	must(sq.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: instHangzhou, Name: "ops", CreatedAt: now}))
	must(sq.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupHost, InstanceID: instHangzhou, Name: "web", CreatedAt: now}))
	srv := httptest.NewServer(server.New(server.Options{Store: st}))
	t.Cleanup(func() {
		srv.Close()
		sq.Close()
	})
	u, _ := url.Parse(srv.URL)
	root := teaClient(t, u.Host, seedKey, seedSecret)

	for _, tc := range []struct {
		action, id, field string
	}{
		{"ModifyHost", "HostId", "HostName"},
		{"ModifyHostAccount", "HostAccountId", "HostAccountName"},
		{"ModifyUser", "UserId", "DisplayName"},
		{"ModifyUserGroup", "UserGroupId", "UserGroupName"},
		{"ModifyHostGroup", "HostGroupId", "HostGroupName"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			st.rounds.Store(0)
			_, err := callV3(root, "2019-12-09", tc.action, map[string]string{"InstanceId": instHangzhou, tc.id: "1", tc.field: "renamed"})
			var se *tea.SDKError
			var body struct{ Code, Message string }
			if !errors.As(err, &se) || json.Unmarshal([]byte(dara.StringValue(se.Data)), &body) != nil ||
				dara.IntValue(se.StatusCode) != 409 || body.Code != "OperationConflict" ||
				body.Message != "Request was denied due to conflict with a previous request, please try again later." {
				t.Fatalf("got %v, want 409 OperationConflict", err)
			}
			if n := st.rounds.Load(); n != 50 {
				t.Fatalf("%d rounds, want 50", n)
			}
		})
	}
}
