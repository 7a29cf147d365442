package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// modelInstance is an instance with every field of the model set.
func modelInstance(account, region, id string) localyun.Instance {
	in := instance(account, region, id, "")
	in.HostName, in.ChargeType = "host-"+id, localyun.ChargePrePaid
	in.ExpiresAt = epoch.Add(30 * 24 * time.Hour)
	in.SecurityGroupIDs = []string{"sg-a", "sg-b"}
	in.Tags = []localyun.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: ""}}
	in.Metadata = localyun.MetadataOptions{HTTPEndpoint: localyun.MetadataDisabled, HTTPTokens: localyun.TokensRequired, HopLimit: 3}
	return in
}

// findOne reads one instance of account a by id, listing (not by id
// alone) and by id, and checks that both reads agree.
func findOne(t *testing.T, st CoreStore, a, id string) localyun.Instance {
	t.Helper()
	byID, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: a, IDs: []string{id}})
	if err != nil || len(byID) != 1 {
		t.Fatalf("FindInstances %s = %v, %v", id, byID, err)
	}
	all, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: a})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.ID == id {
			if !reflect.DeepEqual(in, byID[0]) {
				t.Fatalf("listing and read by id differ:\n%+v\n%+v", in, byID[0])
			}
			return in
		}
	}
	t.Fatalf("%s not listed", id)
	return localyun.Instance{}
}

// testInstanceModel: every field round-trips; an instance created without
// the new fields gets WithDefaults; UpdateInstance changes what it sets
// and nothing else.
func testInstanceModel(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, hz = "1111111111111111", "cn-hangzhou"
	MustCreateAccount(t, st, a)
	full, bare := modelInstance(a, hz, "i-full"), instance(a, hz, "i-bare", "")
	if err := st.CreateInstances(ctx, []localyun.Instance{full, bare}); err != nil {
		t.Fatal(err)
	}
	got := findOne(t, st, a, "i-full")
	full.Seq = got.Seq
	if !reflect.DeepEqual(got, full) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, full)
	}
	got = findOne(t, st, a, "i-bare")
	want := bare.WithDefaults()
	want.Seq = got.Seq
	if !reflect.DeepEqual(got, want) || got.HostName != "iZbareZ" || !got.ExpiresAt.Equal(localyun.PostPaidExpiry) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", got, want)
	}

	name, host := "renamed", "new-host"
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{Name: &name, HostName: &host}); err != nil {
		t.Fatal(err)
	}
	got = findOne(t, st, a, "i-full")
	if got.Name != name || got.HostName != host || got.Description != full.Description || got.Metadata != full.Metadata {
		t.Fatalf("after UpdateInstance: %+v", got)
	}
	opts := localyun.MetadataOptions{HTTPEndpoint: localyun.MetadataEnabled, HTTPTokens: localyun.TokensOptional, HopLimit: 1}
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{Metadata: &opts}); err != nil {
		t.Fatal(err)
	}
	if got = findOne(t, st, a, "i-full"); got.Metadata != opts || got.Name != name {
		t.Fatalf("after metadata update: %+v", got)
	}
	// Options left zero stay as stored: two updates of different options
	// cannot undo each other.
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{Metadata: &localyun.MetadataOptions{HTTPTokens: localyun.TokensRequired}}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{Metadata: &localyun.MetadataOptions{HTTPEndpoint: localyun.MetadataDisabled}}); err != nil {
		t.Fatal(err)
	}
	wantOpts := localyun.MetadataOptions{HTTPEndpoint: localyun.MetadataDisabled, HTTPTokens: localyun.TokensRequired, HopLimit: 1}
	if got = findOne(t, st, a, "i-full"); got.Metadata != wantOpts {
		t.Fatalf("after two partial metadata updates: %+v, want %+v", got.Metadata, wantOpts)
	}
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{Metadata: &opts}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateInstance(ctx, a, "i-full", localyun.InstanceUpdate{SecurityGroupIDs: []string{"sg-new"}}); err != nil {
		t.Fatal(err)
	}
	if got = findOne(t, st, a, "i-full"); !slices.Equal(got.SecurityGroupIDs, []string{"sg-new"}) || got.Metadata != opts {
		t.Fatalf("after security group update: %+v", got)
	}
	wantKind(t, st.UpdateInstance(ctx, a, "i-nope", localyun.InstanceUpdate{Name: &name}), localyun.ErrNotFound)
	wantKind(t, st.UpdateInstance(ctx, "2222222222222222", "i-full", localyun.InstanceUpdate{Name: &name}), localyun.ErrNotFound)
}

// testInstanceFilters: each DescribeInstances filter selects exactly the
// matching instances, in both the listing and the read by ids.
func testInstanceFilters(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, hz = "1111111111111111", "cn-hangzhou"
	MustCreateAccount(t, st, a)
	one := modelInstance(a, hz, "i-1")
	one.InstanceType, one.ImageID, one.PrivateIP, one.ZoneID = "ecs.g7.large", "ubuntu_22_04", "172.16.0.1", hz+"-h"
	two := instance(a, hz, "i-2", "")
	two.InstanceType, two.VpcID, two.VSwitchID, two.PrivateIP = "ecs.g7.xlarge", "vpc-2", "vsw-2", "172.16.0.2"
	two.CreatedAt = epoch.Add(time.Hour)
	three := instance(a, hz, "i-3", "")
	three.InstanceType, three.PrivateIP = "ecs.g7a.large", "172.16.0.3"
	three.Tags = []localyun.Tag{{Key: "env", Value: "dev"}}
	if err := st.CreateInstances(ctx, []localyun.Instance{one, two, three}); err != nil {
		t.Fatal(err)
	}
	base := localyun.InstanceFilter{AccountID: a, RegionID: hz}
	tests := []struct {
		name string
		set  func(f *localyun.InstanceFilter)
		want []string
	}{
		{"zone", func(f *localyun.InstanceFilter) { f.ZoneID = hz + "-h" }, []string{"i-1"}},
		{"vpc", func(f *localyun.InstanceFilter) { f.VpcID = "vpc-2" }, []string{"i-2"}},
		{"unknown vpc", func(f *localyun.InstanceFilter) { f.VpcID = "vpc-nope" }, nil},
		{"vswitch", func(f *localyun.InstanceFilter) { f.VSwitchID = "vsw-1" }, []string{"i-1", "i-3"}},
		{"type", func(f *localyun.InstanceFilter) { f.InstanceType = "ecs.g7.xlarge" }, []string{"i-2"}},
		{"family", func(f *localyun.InstanceFilter) { f.TypeFamily = "ecs.g7" }, []string{"i-1", "i-2"}},
		{"family of another", func(f *localyun.InstanceFilter) { f.TypeFamily = "ecs" }, nil},
		{"image", func(f *localyun.InstanceFilter) { f.ImageID = "ubuntu_22_04" }, []string{"i-1"}},
		{"private ips", func(f *localyun.InstanceFilter) { f.PrivateIPs = []string{"172.16.0.3", "172.16.0.2"} }, []string{"i-2", "i-3"}},
		{"charge", func(f *localyun.InstanceFilter) { f.ChargeType = localyun.ChargePostPaid }, []string{"i-2", "i-3"}},
		{"security group", func(f *localyun.InstanceFilter) { f.SecurityGroupID = "sg-b" }, []string{"i-1"}},
		{"tag", func(f *localyun.InstanceFilter) { f.Tags = []localyun.TagFilter{{Key: "env", Value: "prod"}} }, []string{"i-1"}},
		{"tag key", func(f *localyun.InstanceFilter) { f.Tags = []localyun.TagFilter{{Key: "env", AnyValue: true}} }, []string{"i-1", "i-3"}},
		{"empty tag value", func(f *localyun.InstanceFilter) { f.Tags = []localyun.TagFilter{{Key: "team"}} }, []string{"i-1"}},
		{"two tags", func(f *localyun.InstanceFilter) {
			f.Tags = []localyun.TagFilter{{Key: "env", AnyValue: true}, {Key: "team", AnyValue: true}}
		}, []string{"i-1"}},
		{"tagged", func(f *localyun.InstanceFilter) { f.Tagged = true }, []string{"i-1", "i-3"}},
		{"endpoint", func(f *localyun.InstanceFilter) { f.HTTPEndpoint = localyun.MetadataEnabled }, []string{"i-2", "i-3"}},
		{"tokens", func(f *localyun.InstanceFilter) { f.HTTPTokens = localyun.TokensRequired }, []string{"i-1"}},
		{"hops", func(f *localyun.InstanceFilter) { f.HopLimit = 3 }, []string{"i-1"}},
		{"created from", func(f *localyun.InstanceFilter) { f.CreatedFrom = epoch.Add(time.Minute) }, []string{"i-2"}},
		{"created to", func(f *localyun.InstanceFilter) { f.CreatedTo = epoch }, []string{"i-1", "i-3"}},
		{"expires to", func(f *localyun.InstanceFilter) { f.ExpiresTo = epoch.Add(31 * 24 * time.Hour) }, []string{"i-1"}},
		{"expires from", func(f *localyun.InstanceFilter) { f.ExpiresFrom = localyun.PostPaidExpiry }, []string{"i-2", "i-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.set(&f)
			for _, ids := range [][]string{nil, {"i-3", "i-1", "i-2"}} {
				f.IDs = ids
				got, total, err := st.FindInstances(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var have []string
				for _, in := range got {
					have = append(have, in.ID)
				}
				if !slices.Equal(have, tt.want) || total != len(tt.want) {
					t.Fatalf("ids %v: got %v (total %d), want %v", ids, have, total, tt.want)
				}
			}
		})
	}
}

// testInstanceTags: TagInstances adds or replaces, all or nothing, within
// the quota; UntagInstances removes keys or everything; reads by id follow.
func testInstanceTags(t *testing.T, open CoreOpener) {
	ctx := context.Background()
	st := open(t)
	const a, hz = "1111111111111111", "cn-hangzhou"
	MustCreateAccount(t, st, a)
	if err := st.CreateInstances(ctx, []localyun.Instance{instance(a, hz, "i-1", ""), instance(a, hz, "i-2", "")}); err != nil {
		t.Fatal(err)
	}
	tags := func(id string) []localyun.Tag { return findOne(t, st, a, id).Tags }
	findOne(t, st, a, "i-1") // cached, where the store caches
	if err := st.TagInstances(ctx, a, hz, []string{"i-1", "i-2"}, []localyun.Tag{{Key: "k1", Value: "v1"}, {Key: "k2"}}, 3); err != nil {
		t.Fatal(err)
	}
	if err := st.TagInstances(ctx, a, hz, []string{"i-1"}, []localyun.Tag{{Key: "k1", Value: "new"}, {Key: "k3", Value: "v3"}}, 3); err != nil {
		t.Fatal(err)
	}
	want := []localyun.Tag{{Key: "k1", Value: "new"}, {Key: "k2"}, {Key: "k3", Value: "v3"}}
	if got := tags("i-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	// Over the quota on i-1: i-2 is not tagged either.
	err := st.TagInstances(ctx, a, hz, []string{"i-2", "i-1"}, []localyun.Tag{{Key: "k4"}}, 3)
	wantKind(t, err, localyun.ErrConflict)
	if got := tags("i-2"); len(got) != 2 {
		t.Fatalf("i-2 tagged by a refused call: %v", got)
	}
	err = st.TagInstances(ctx, a, hz, []string{"i-2", "i-nope"}, []localyun.Tag{{Key: "k4"}}, 3)
	var missing *localyun.MissingIDsError
	if !errors.As(err, &missing) || !slices.Equal(missing.IDs, []string{"i-nope"}) {
		t.Fatalf("missing: %v", err)
	}
	wantKind(t, st.TagInstances(ctx, a, "cn-beijing", []string{"i-1"}, []localyun.Tag{{Key: "k4"}}, 3), localyun.ErrNotFound)

	if err := st.UntagInstances(ctx, a, hz, []string{"i-1", "i-2"}, []string{"k1", "absent"}, false); err != nil {
		t.Fatal(err)
	}
	if got := tags("i-1"); !reflect.DeepEqual(got, []localyun.Tag{{Key: "k2"}, {Key: "k3", Value: "v3"}}) {
		t.Fatalf("after untag: %v", got)
	}
	wantKind(t, st.UntagInstances(ctx, a, hz, []string{"i-1", "i-nope"}, nil, true), localyun.ErrNotFound)
	if got := tags("i-1"); len(got) != 2 {
		t.Fatalf("refused untag changed i-1: %v", got)
	}
	if err := st.UntagInstances(ctx, a, hz, []string{"i-1"}, nil, true); err != nil {
		t.Fatal(err)
	}
	if got := tags("i-1"); got != nil {
		t.Fatalf("after untag all: %v", got)
	}
}
