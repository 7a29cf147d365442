package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// benchServer is a server on a SQLite file with one account, one role and
// 1,000 instances (the even ones with the role).
func benchServer(b *testing.B) *server.Server {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: "1234567890123456", Name: "bench", CreatedAt: now}))
	must(st.CreateAccessKey(ctx, localyun.AccessKey{ID: "LTAIbench", Secret: "secret", AccountID: "1234567890123456",
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(st.CreateRole(ctx, localyun.Role{ID: "3000000000000000001", AccountID: "1234567890123456", Name: "bench-role",
		AssumeRolePolicyDocument: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`,
		MaxSessionDuration:       3600, CreatedAt: now, UpdatedAt: now}))
	insts := make([]localyun.Instance, 1000)
	for i := range insts {
		insts[i] = localyun.Instance{ID: "i-bench" + strconv.Itoa(100000+i), AccountID: "1234567890123456", RegionID: "cn-hangzhou",
			ZoneID: "cn-hangzhou-h", Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC, CreatedAt: now}
		if i%2 == 0 {
			insts[i].RAMRoleName = "bench-role"
		}
	}
	must(st.CreateInstances(ctx, insts))
	benchBastion(b, st, now)
	return server.New(server.Options{Store: st, AccessLog: benchAccessLog()})
}

// benchBastion adds a bastion instance with 200 hosts × 10 accounts and one
// user group holding 25 host grants (the first with its accounts).
func benchBastion(b *testing.B, st *sqlite.Store, now time.Time) {
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.CreateBastionInstance(ctx, localyun.BastionInstance{ID: "bastionhost-cn-bench", AccountID: "1234567890123456",
		RegionID: "cn-hangzhou", Status: localyun.BastionRunning, PlanCode: "cloudbastion", VpcID: "vpc-bench",
		VSwitchID: "vsw-bench", CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}))
	var grants []localyun.BastionHostGrantChange
	for h := 0; h < 200; h++ {
		host, err := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: "bastionhost-cn-bench", Name: "host-" + strconv.Itoa(h),
			OSType: "Linux", Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate,
			PrivateAddress: "172.16.0." + strconv.Itoa(h), CreatedAt: now})
		must(err)
		var accounts []string
		for a := 0; a < 10; a++ {
			acc, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: "bastionhost-cn-bench", HostID: host.ID,
				Name: "user" + strconv.Itoa(a), ProtocolName: "SSH", CreatedAt: now}, localyun.BastionSecret{})
			must(err)
			accounts = append(accounts, acc.ID)
		}
		if h%8 == 0 && h < 8*25 {
			grants = append(grants, localyun.BastionHostGrantChange{Op: localyun.BastionGrantAdd, HostID: host.ID})
			if h == 0 { // the first host with its accounts
				for _, a := range accounts {
					grants = append(grants, localyun.BastionHostGrantChange{Op: localyun.BastionGrantAdd, HostID: host.ID, AccountID: a})
				}
			}
		}
	}
	grp, err := st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: "bastionhost-cn-bench", Name: "group", CreatedAt: now})
	must(err)
	if grp.ID != "1" {
		b.Fatalf("user group id %s", grp.ID)
	}
	_, err = st.ApplyBastionHostGrants(ctx, "bastionhost-cn-bench", localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: grp.ID}, 0, grants)
	must(err)
}

var benchNonce int

// signed returns a V1-signed POST target for action with a fresh nonce.
func signed(action string, kv ...string) string {
	benchNonce++
	v := url.Values{
		"AccessKeyId": {"LTAIbench"}, "Action": {action}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"nonce-" + strconv.Itoa(benchNonce)}, "SignatureType": {""},
		"SignatureVersion": {"1.0"}, "Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "Version": {"2014-05-26"},
	}
	for j := 0; j+1 < len(kv); j += 2 {
		v.Set(kv[j], kv[j+1])
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), "secret"))
	return "/?" + v.Encode()
}

// BenchmarkServeHTTP is the whole request path in process (no network):
// parse, authenticate, the handler with its SQL, and the envelope.
func BenchmarkServeHTTP(b *testing.B) {
	srv := benchServer(b)
	b.Run("DescribeInstanceRamRole", func(b *testing.B) {
		targets := make([]string, 0, 1<<16)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i == len(targets) {
				b.StopTimer()
				for j := 0; j < 1024; j++ {
					targets = append(targets, signed("DescribeInstanceRamRole", "InstanceIds", `["i-bench`+strconv.Itoa(100000+len(targets)%1000)+`"]`))
				}
				b.StartTimer()
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, targets[i], http.NoBody))
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			i++
		}
	})
	b.Run("ListHostsForUserGroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			t := signed("ListHostsForUserGroup", "Version", "2019-12-09", "InstanceId", "bastionhost-cn-bench", "UserGroupId", "1",
				"PageNumber", "1", "PageSize", "20")
			b.StartTimer()
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, t, http.NoBody))
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"TotalCount":25`) {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.Run("AttachDetachInstanceRamRole", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			id := `["i-bench` + strconv.Itoa(100001+2*(i%500)) + `"]`
			attach := signed("AttachInstanceRamRole", "InstanceIds", id, "RamRoleName", "bench-role")
			detach := signed("DetachInstanceRamRole", "InstanceIds", id)
			b.StartTimer()
			for _, t := range []string{attach, detach} {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, t, http.NoBody))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			i++
		}
	})
}
