package sqlite_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

// benchInstances opens a SQLite file with n instances of one account and
// region, the even ones holding the role "role-<i/200>" (the bench's
// world: blocks of 100 role holders).
func benchInstances(b *testing.B, n int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now()
	if err := st.CreateAccount(ctx, localyun.Account{ID: "1000000000000001", Name: "a", CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < n; lo += 10_000 {
		var insts []localyun.Instance
		for i := lo; i < min(n, lo+10_000); i++ {
			in := localyun.Instance{ID: benchID(i), AccountID: "1000000000000001", RegionID: "cn-hangzhou",
				ZoneID: "cn-hangzhou-h", Name: benchID(i), Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
				VpcID: "vpc-bp1aaaaaaaaaaaaaaaaaa", VSwitchID: "vsw-bp1aaaaaaaaaaaaaaaaaa", PrivateIP: "172.16.1.1",
				ImageID: "aliyun_3_x64_20G_alibase_20240528.vhd", InstanceType: "ecs.g7.large", CreatedAt: now}
			if i%2 == 0 {
				in.RAMRoleName = benchRole(i)
			}
			insts = append(insts, in)
		}
		if err := st.CreateInstances(ctx, insts); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

func benchID(i int) string   { return "i-bp" + strconv.Itoa(10_000_000+i) }
func benchRole(i int) string { return "role-" + strconv.Itoa(i/200) }

// BenchmarkSetInstancesRAMRole is the store's part of the role actions: a
// detach then an attach (two write transactions) of one instance, and of
// the 100 instances of a block, at 1,000 and 100,000 instances.
func BenchmarkSetInstancesRAMRole(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 100_000} {
		var st *sqlite.Store // seeded by the first sub-benchmark that runs
		world := func(b *testing.B) *sqlite.Store {
			if st == nil {
				st = benchInstances(b, n)
			}
			return st
		}
		blocks := n / 200
		b.Run("1/"+strconv.Itoa(n), func(b *testing.B) {
			st := world(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := 2 * (i % (n / 2))
				id, role := benchID(k), benchRole(k)
				for _, c := range []localyun.InstanceRoleChange{{InstanceID: id, From: role}, {InstanceID: id, To: role}} {
					if err := st.SetInstancesRAMRole(ctx, "1000000000000001", "cn-hangzhou", []localyun.InstanceRoleChange{c}); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
		})
		b.Run("100/"+strconv.Itoa(n), func(b *testing.B) {
			st := world(b)
			detach, attach := make([][]localyun.InstanceRoleChange, blocks), make([][]localyun.InstanceRoleChange, blocks)
			for k := range blocks {
				for j := range 100 {
					i := 2 * (k*100 + j)
					detach[k] = append(detach[k], localyun.InstanceRoleChange{InstanceID: benchID(i), From: benchRole(i)})
					attach[k] = append(attach[k], localyun.InstanceRoleChange{InstanceID: benchID(i), To: benchRole(i)})
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for _, changes := range [][]localyun.InstanceRoleChange{detach[i%blocks], attach[i%blocks]} {
					if err := st.SetInstancesRAMRole(ctx, "1000000000000001", "cn-hangzhou", changes); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
		})
	}
}

// BenchmarkFindInstancesByID is the read of the role actions: instances by
// id, warm (after one read of each).
func BenchmarkFindInstancesByID(b *testing.B) {
	ctx := context.Background()
	st := benchInstances(b, 1_000)
	for _, size := range []int{1, 100} {
		lists := make([][]string, 1000/size)
		for k := range lists {
			for j := range size {
				lists[k] = append(lists[k], benchID(k*size+j))
			}
		}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				got, _, err := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: "1000000000000001", RegionID: "cn-hangzhou",
					IDs: lists[i%len(lists)]})
				if err != nil || len(got) != size {
					b.Fatal(got, err)
				}
				i++
			}
		})
	}
}
