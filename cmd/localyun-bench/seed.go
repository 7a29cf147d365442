package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/localyun/localyun"
)

// The fixed identities of the bench world.
const (
	benchAccount   = "1234567890123456"
	benchKeyID     = "LTAIbench0000000000000001"
	benchKeySecret = "bench-secret-0123456789abcdef"
	benchRegion    = "cn-hangzhou"
	benchBastion   = "bastionhost-cn-bench0001"
	ecsTrustPolicy = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
)

// instanceID is the id of instance n (0-based). Even instances are seeded
// with a role, odd ones without.
func instanceID(n int) string { return fmt.Sprintf("i-bench%015d", n) }

func roleName(n int) string { return fmt.Sprintf("bench-role-%04d", n) }

// The bastion store numbers objects from 1 in creation order, so host h
// (1-based) has the accounts (h-1)*A+1 .. h*A, and user group g holds host
// grants on hostsOfGroup(g) and every account of the first of them.
func hostID(h int) string { return strconv.Itoa(h) }

func (w World) accountIDs(h int) []string {
	ids := make([]string, w.AccountsPerHost)
	for i := range ids {
		ids[i] = strconv.Itoa((h-1)*w.AccountsPerHost + i + 1)
	}
	return ids
}

func (w World) hostsOfGroup(g int) []int {
	hs := make([]int, 0, w.HostsPerGroup)
	seen := map[int]bool{}
	for j := 0; j < w.HostsPerGroup && len(seen) < w.Hosts; j++ {
		h := ((g-1)*w.HostsPerGroup+j)%w.Hosts + 1
		if !seen[h] {
			seen[h] = true
			hs = append(hs, h)
		}
	}
	return hs
}

// seedStore is what seeding needs of a store (SQLite or PostgreSQL).
type seedStore interface {
	CreateAccount(ctx context.Context, a localyun.Account) error
	CreateAccessKey(ctx context.Context, k localyun.AccessKey) error
	CreateInstances(ctx context.Context, insts []localyun.Instance) error
	CountAccounts(ctx context.Context) (int, error)
	Close() error
}

type roleCreator interface {
	CreateRole(ctx context.Context, r localyun.Role) error
}

type bastionSeeder interface {
	CreateBastionInstance(ctx context.Context, b localyun.BastionInstance) error
	CreateBastionHost(ctx context.Context, h localyun.BastionHost) (localyun.BastionHost, error)
	CreateBastionHostAccount(ctx context.Context, a localyun.BastionHostAccount, s localyun.BastionSecret) (localyun.BastionHostAccount, error)
	CreateBastionGroup(ctx context.Context, g localyun.BastionGroup) (localyun.BastionGroup, error)
	ApplyBastionHostGrants(ctx context.Context, instanceID string, g localyun.BastionGrantee, version uint64, changes []localyun.BastionHostGrantChange) ([]bool, error)
}

// SeedReport says what seeding did and how long each part took.
type SeedReport struct {
	Reused    bool
	Instances time.Duration
	Bastion   time.Duration
	Total     time.Duration
	Bastioned bool // the store could seed the bastion world
	Note      string
}

// progress prints a progress line at most every second.
type progress struct {
	logf  func(string, ...any)
	what  string
	total int
	start time.Time
	last  time.Time
}

func newProgress(logf func(string, ...any), what string, total int) *progress {
	now := time.Now()
	return &progress{logf: logf, what: what, total: total, start: now, last: now}
}

func (p *progress) update(done int) {
	now := time.Now()
	if now.Sub(p.last) < time.Second && done < p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(done) / max(el, 1e-9)
	p.logf("  seeding %s: %d/%d (%.0f%%, %.0f/s, %.1fs)", p.what, done, p.total, 100*float64(done)/float64(max(p.total, 1)), rate, el)
}

// bulkHosts writes the hosts and host accounts of the bastion world.
type bulkHosts func(ctx context.Context, w World, now time.Time, p *progress) error

// seed writes the world w into st.
func seed(ctx context.Context, st seedStore, w World, logf func(string, ...any), bulk bulkHosts) (SeedReport, error) {
	var rep SeedReport
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CreateAccount(ctx, localyun.Account{ID: benchAccount, Name: "bench", CreatedAt: now}); err != nil {
		return rep, fmt.Errorf("create account: %w", err)
	}
	if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: benchKeyID, Secret: benchKeySecret, AccountID: benchAccount,
		Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		return rep, fmt.Errorf("create access key: %w", err)
	}
	rc, ok := st.(roleCreator)
	if !ok {
		return rep, errors.New("the store cannot create RAM roles (CreateRole missing)")
	}
	p := newProgress(logf, "roles", w.Roles)
	for i := 0; i < w.Roles; i++ {
		if err := rc.CreateRole(ctx, localyun.Role{ID: fmt.Sprintf("3%018d", i), AccountID: benchAccount, Name: roleName(i),
			AssumeRolePolicyDocument: ecsTrustPolicy, MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}); err != nil {
			return rep, fmt.Errorf("create role: %w", err)
		}
		p.update(i + 1)
	}

	t0 := time.Now()
	const batch = 10_000
	p = newProgress(logf, "instances", w.Instances)
	buf := make([]localyun.Instance, 0, batch)
	for n := 0; n < w.Instances; n += batch {
		buf = buf[:0]
		for i := n; i < min(n+batch, w.Instances); i++ {
			in := localyun.Instance{ID: instanceID(i), AccountID: benchAccount, RegionID: benchRegion, ZoneID: benchRegion + "-h",
				Name: "bench-" + strconv.Itoa(i), Status: localyun.StatusRunning, NetworkType: localyun.NetworkVPC,
				VpcID: "vpc-bench0001", VSwitchID: "vsw-bench0001", PrivateIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
				ImageID: "aliyun_3_x64_20G_alibase_20240819.vhd", InstanceType: "ecs.g7.large", CreatedAt: now}
			if i%2 == 0 {
				in.RAMRoleName = roleName(i / 2 % w.Roles)
			}
			buf = append(buf, in)
		}
		if err := st.CreateInstances(ctx, buf); err != nil {
			return rep, fmt.Errorf("create instances: %w", err)
		}
		p.update(min(n+batch, w.Instances))
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	rep.Instances = time.Since(t0)

	t0 = time.Now()
	bs, ok := st.(bastionSeeder)
	if !ok {
		rep.Note = "the store has no Bastionhost methods yet: the bastion world was not seeded"
		logf("  %s", rep.Note)
	} else {
		if err := seedBastion(ctx, bs, w, now, logf, bulk); err != nil {
			return rep, err
		}
		rep.Bastioned = true
	}
	rep.Bastion = time.Since(t0)
	rep.Total = time.Since(start)
	return rep, nil
}

// seedBastion seeds through the BastionStore methods, one call per object
// (the store has no bulk path); ids are checked against the formulas above.
//
// bulk, when set, writes the hosts and host accounts instead (SQLite only:
// one call per object costs about 0.5 ms, so 1,100,000 of them would take
// ten minutes).
func seedBastion(ctx context.Context, bs bastionSeeder, w World, now time.Time, logf func(string, ...any), bulk bulkHosts) error {
	if err := bs.CreateBastionInstance(ctx, localyun.BastionInstance{ID: benchBastion, AccountID: benchAccount, RegionID: benchRegion,
		Status: localyun.BastionRunning, PlanCode: "cloudbastion", VpcID: "vpc-bench0001", VSwitchID: "vsw-bench0001",
		CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}); err != nil {
		return fmt.Errorf("create bastion instance: %w", err)
	}
	p := newProgress(logf, "bastion hosts+accounts", w.Hosts*(1+w.AccountsPerHost))
	if bulk != nil {
		if err := bulk(ctx, w, now, p); err != nil {
			return fmt.Errorf("bulk-insert bastion hosts: %w", err)
		}
	}
	done := 0
	for h := 1; h <= w.Hosts && bulk == nil; h++ {
		host, err := bs.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: benchBastion, Name: fmt.Sprintf("host-%06d", h),
			OSType: "Linux", Source: localyun.BastionSourceLocal, ActiveAddressType: localyun.BastionAddressPrivate,
			PrivateAddress: fmt.Sprintf("172.16.%d.%d", h>>8&255, h&255), CreatedAt: now})
		if err != nil {
			return fmt.Errorf("create bastion host: %w", err)
		}
		if host.ID != hostID(h) {
			return fmt.Errorf("bastion host %d got id %s: the bench expects ids from 1 in creation order", h, host.ID)
		}
		want := w.accountIDs(h)
		for i := 0; i < w.AccountsPerHost; i++ {
			a, err := bs.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: benchBastion, HostID: host.ID,
				Name: fmt.Sprintf("user%02d", i), ProtocolName: "SSH", CreatedAt: now}, localyun.BastionSecret{})
			if err != nil {
				return fmt.Errorf("create host account: %w", err)
			}
			if a.ID != want[i] {
				return fmt.Errorf("host account %d/%d got id %s, want %s", h, i, a.ID, want[i])
			}
		}
		done += 1 + w.AccountsPerHost
		p.update(done)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	p = newProgress(logf, "user groups+grants", w.Groups)
	for g := 1; g <= w.Groups; g++ {
		grp, err := bs.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: benchBastion, Name: fmt.Sprintf("group-%05d", g), CreatedAt: now})
		if err != nil {
			return fmt.Errorf("create user group: %w", err)
		}
		if grp.ID != strconv.Itoa(g) {
			return fmt.Errorf("user group %d got id %s", g, grp.ID)
		}
		hosts := w.hostsOfGroup(g)
		var changes []localyun.BastionHostGrantChange
		for i, h := range hosts {
			changes = append(changes, localyun.BastionHostGrantChange{Op: localyun.BastionGrantAdd, HostID: hostID(h)})
			if i == 0 { // the first host with its accounts
				for _, a := range w.accountIDs(h) {
					changes = append(changes, localyun.BastionHostGrantChange{Op: localyun.BastionGrantAdd, HostID: hostID(h), AccountID: a})
				}
			}
		}
		changed, err := bs.ApplyBastionHostGrants(ctx, benchBastion, localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: grp.ID}, 0, changes)
		if err != nil {
			return fmt.Errorf("grant hosts to user group %d: %w", g, err)
		}
		for i, c := range changed {
			if !c {
				return fmt.Errorf("grant host %s (account %q) to user group %d: already granted", changes[i].HostID, changes[i].AccountID, g)
			}
		}
		p.update(g)
	}
	return nil
}

// manifest is written next to a kept SQLite file: a later --keep run reuses
// the file only when the world is the same.
type manifest struct {
	World     World
	Bastioned bool
}

func readManifest(path string) (manifest, bool) {
	var m manifest
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m, false
	}
	return m, true
}

func writeManifest(path string, m manifest) error {
	b, _ := json.Marshal(m)
	return os.WriteFile(path, b, 0o644)
}

// checkBastion reads the last host, its accounts and a grant back through
// the store, so a bulk write that no longer matches the schema fails here.
func checkBastion(ctx context.Context, st any, w World) error {
	bs, ok := st.(localyun.BastionStore)
	if !ok {
		return nil
	}
	h, err := bs.FindBastionHost(ctx, benchBastion, hostID(w.Hosts))
	if err != nil {
		return fmt.Errorf("check seeded host: %w", err)
	}
	if h.AccountCount != w.AccountsPerHost {
		return fmt.Errorf("check seeded host %s: %d accounts, want %d", h.ID, h.AccountCount, w.AccountsPerHost)
	}
	g := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: "1"}
	first := w.hostsOfGroup(1)[0]
	grants, _, err := bs.FindBastionHostAccountGrants(ctx, g, localyun.BastionHostAccountFilter{InstanceID: benchBastion, HostIDs: []string{hostID(first)}})
	if err != nil {
		return fmt.Errorf("check seeded grants: %w", err)
	}
	for _, a := range grants {
		if !a.Authorized {
			return fmt.Errorf("check seeded grants: account %s of host %d not granted to group 1", a.ID, first)
		}
	}
	return nil
}
