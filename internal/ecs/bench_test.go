package ecs_test

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
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/protocol"
	"github.com/localyun/localyun/internal/server"
	"github.com/localyun/localyun/internal/sqlite"
)

// benchWorld is a SQLite file store with the seed account, role and
// access key and 1,000 VPC instances of cn-hangzhou, the even ones holding
// the role (the bench's small world, for the instance RAM role actions).
func benchWorld(b *testing.B) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.CreateAccount(ctx, localyun.Account{ID: seedAccount, Name: "bench", CreatedAt: now}))
	must(st.CreateAccessKey(ctx, localyun.AccessKey{ID: "LTAIbench", Secret: "secret", AccountID: seedAccount,
		Status: localyun.AccessKeyActive, CreatedAt: now}))
	must(st.CreateRole(ctx, localyun.Role{ID: "3000000000000000001", AccountID: seedAccount, Name: seedRole,
		AssumeRolePolicyDocument: ecsTrust, MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}))
	insts := make([]localyun.Instance, 1000)
	for i := range insts {
		insts[i] = localyun.Instance{ID: benchInstance(i), AccountID: seedAccount, RegionID: seedRegion,
			ZoneID: seedRegion + "-h", Name: benchInstance(i), Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
			VpcID: "vpc-bench", VSwitchID: "vsw-bench", PrivateIP: "172.16.0.1", ImageID: "img", InstanceType: "ecs.t5", CreatedAt: now}
		if i%2 == 0 {
			insts[i].RAMRoleName = seedRole
		}
	}
	must(st.CreateInstances(ctx, insts))
	return st
}

func benchInstance(i int) string { return "i-bench" + strconv.Itoa(100000+i) }

// blockIDs are the even (role-holding) instances 200k, 200k+2, ... of
// block k of 100.
func blockIDs(k int) []string {
	ids := make([]string, 100)
	for j := range ids {
		ids[j] = benchInstance(2 * (k*100 + j))
	}
	return ids
}

// BenchmarkService is the instance RAM role actions of the Service, as the
// root, on a SQLite file: the rules and the store, no HTTP.
func BenchmarkService(b *testing.B) {
	st := benchWorld(b)
	s := ecs.NewService(st, ecs.Options{})
	var ids [1000][]string
	for i := range ids {
		ids[i] = []string{benchInstance(i)}
	}
	b.Run("DescribeInstanceRamRole", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			in := ecs.DescribeInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: ids[i%1000], PageNumber: 1, PageSize: 50}
			rows, total, err := s.DescribeInstanceRAMRole(rootCtx, in)
			if err != nil || total != 1 || len(rows) != 1 {
				b.Fatalf("%v %d %v", rows, total, err)
			}
			i++
		}
	})
	b.Run("AttachDetach1", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			ids := ids[2*(i%500)+1]
			if _, res, err := s.AttachInstanceRAMRole(rootCtx, ecs.AttachInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: ids,
				RAMRoleName: seedRole}); err != nil || !res[0].Success {
				b.Fatalf("attach: %v %v", res, err)
			}
			if _, res, err := s.DetachInstanceRAMRole(rootCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion,
				InstanceIDs: ids}); err != nil || !res[0].Success {
				b.Fatalf("detach: %v %v", res, err)
			}
			i++
		}
	})
	b.Run("DetachAttach100", func(b *testing.B) {
		var blocks [5][]string
		for k := range blocks {
			blocks[k] = blockIDs(k)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			ids := blocks[i%5]
			if _, res, err := s.DetachInstanceRAMRole(rootCtx, ecs.DetachInstanceRAMRoleInput{RegionID: seedRegion,
				InstanceIDs: ids}); err != nil || !res[99].Success {
				b.Fatalf("detach: %v", err)
			}
			if _, res, err := s.AttachInstanceRAMRole(rootCtx, ecs.AttachInstanceRAMRoleInput{RegionID: seedRegion, InstanceIDs: ids,
				RAMRoleName: seedRole}); err != nil || !res[99].Success {
				b.Fatalf("attach: %v", err)
			}
			i++
		}
	})
}

var benchNonce int

// signedTarget returns a V1-signed POST target for an ECS action with a
// fresh nonce.
func signedTarget(action string, kv ...string) string {
	benchNonce++
	v := url.Values{
		"AccessKeyId": {"LTAIbench"}, "Action": {action}, "Format": {"JSON"}, "RegionId": {seedRegion},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"nonce-" + strconv.Itoa(benchNonce)}, "SignatureType": {""},
		"SignatureVersion": {"1.0"}, "Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "Version": {"2014-05-26"},
	}
	for j := 0; j+1 < len(kv); j += 2 {
		v.Set(kv[j], kv[j+1])
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), "secret"))
	return "http://127.0.0.1/?" + v.Encode()
}

// BenchmarkServeHTTP100 is the 100-instance Detach and Attach through the
// whole request path in process (signature, parsing, authorization, the
// Service, the store, the envelope).
func BenchmarkServeHTTP100(b *testing.B) {
	srv := server.New(server.Options{Store: benchWorld(b)})
	serve := func(target string) {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, target, http.NoBody))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"FailCount":0`) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		ids := idsJSON(blockIDs(i % 5))
		detach := signedTarget("DetachInstanceRamRole", "InstanceIds", ids)
		attach := signedTarget("AttachInstanceRamRole", "InstanceIds", ids, "RamRoleName", seedRole)
		b.StartTimer()
		serve(detach)
		serve(attach)
		i++
	}
}

func idsJSON(ids []string) string {
	return `["` + strings.Join(ids, `","`) + `"]`
}
