package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// crashBlocks is the number of blocks of 100 instances of the SIGKILL test.
const crashBlocks = 4

// crashBlockIDs returns the JSON array of the ids of block b's instances.
func crashBlockIDs(b int) string {
	ids := make([]string, 100)
	for j := range ids {
		ids[j] = fmt.Sprintf(`"i-blk%dn%03d"`, b, j)
	}
	return "[" + strings.Join(ids, ",") + "]"
}

// blockState is what the SIGKILL test knows of a block: whether the last
// acknowledged change left its instances with the role, and whether a
// change was sent but not answered when the server died (then either).
type blockState struct {
	attached bool
	unsure   bool
}

// TestAcknowledgedWritesSurviveSIGKILL kills the server (SIGKILL) under
// concurrent writes, several times, and checks after each restart that
// every acknowledged write is there and no batch is half applied: writers
// create groups with unique names, and each of crashBlocks writers detaches
// and attaches its block of 100 instances, one request for the 100 each
// time. Every block must have the role on all its instances or on none: on
// the state its last acknowledged request left, or, if a request was in
// flight at the kill, either.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server several times")
	}
	dir, seed := t.TempDir(), writeCrashSeed(t)
	blocks := make([]blockState, crashBlocks)
	for b := range blocks {
		blocks[b].attached = true
	}
	var acked []string
	total := 0
	for cycle := range 3 {
		s := seed
		if cycle > 0 {
			s = "" // seeding creates what is missing only; restart without it
		}
		p := mustServe(t, dir, s)
		checkCrashState(t, p, blocks, acked)
		names, changes := crashLoad(t, p, blocks, cycle, time.Duration(300+mrand.IntN(700))*time.Millisecond)
		acked = append(acked, names...)
		total += len(names) + changes
	}
	p := mustServe(t, dir, "")
	checkCrashState(t, p, blocks, acked)
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	t.Logf("3 SIGKILLs under load: %d acknowledged writes (%d groups, the rest 100-instance batches), all found, no batch half applied", total, len(acked))
}

// writeCrashSeed writes the seed of the SIGKILL test: the seed account, its
// role, and crashBlocks blocks of 100 instances with that role.
func writeCrashSeed(tb testing.TB) string {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString(`accounts:
  - id: "1234567890123456"
    name: dev
    access_keys:
      - id: ` + seedKey + `
        secret: ` + seedSecret + `
    ram:
      roles:
        - name: RamRoleTest
          assume_role_policy: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}'
    ecs:
      instances:
`)
	for b := range crashBlocks {
		for j := range 100 {
			fmt.Fprintf(&sb, "        - {id: i-blk%dn%03d, region: cn-hangzhou, ram_role: RamRoleTest}\n", b, j)
		}
	}
	path := filepath.Join(tb.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// crashLoad drives the writes for d (and until some groups and block
// changes were acknowledged), kills the server with SIGKILL while they run, and returns the group names whose creation was acknowledged
// and the number of acknowledged block changes; it updates blocks.
func crashLoad(t *testing.T, p *proc, blocks []blockState, cycle int, d time.Duration) (names []string, changes int) {
	t.Helper()
	run := crashRunID()
	var killed atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	fail := func(what string, err error) {
		if !killed.Load() {
			t.Errorf("cycle %d: %s before the kill: %v", cycle, what, err)
		}
	}
	for w := range 4 {
		c := ramClient(t, p.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				req := ram.CreateCreateGroupRequest()
				req.Domain, req.GroupName = p.addr, fmt.Sprintf("crash-%s-%d-%d-%d", run, cycle, w, i)
				if _, err := c.CreateGroup(req); err != nil {
					fail("CreateGroup", err)
					return
				}
				mu.Lock()
				names = append(names, req.GroupName)
				mu.Unlock()
			}
		}()
	}
	for b := range blocks {
		c := crashECS(t, p.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var err error
				if blocks[b].attached {
					req := sdkecs.CreateDetachInstanceRamRoleRequest()
					req.RegionId, req.InstanceIds = "cn-hangzhou", crashBlockIDs(b)
					var res *sdkecs.DetachInstanceRamRoleResponse
					if res, err = c.DetachInstanceRamRole(req); err == nil && res.FailCount != 0 {
						err = fmt.Errorf("FailCount %d", res.FailCount)
					}
				} else {
					req := sdkecs.CreateAttachInstanceRamRoleRequest()
					req.RegionId, req.InstanceIds, req.RamRoleName = "cn-hangzhou", crashBlockIDs(b), "RamRoleTest"
					var res *sdkecs.AttachInstanceRamRoleResponse
					if res, err = c.AttachInstanceRamRole(req); err == nil && res.FailCount != 0 {
						err = fmt.Errorf("FailCount %d", res.FailCount)
					}
				}
				if err != nil {
					blocks[b].unsure = true
					fail(fmt.Sprintf("block %d change", b), err)
					return
				}
				blocks[b].attached = !blocks[b].attached
				mu.Lock()
				changes++
				mu.Unlock()
			}
		}()
	}
	// Kill after d, and not before some of each kind of write was
	// acknowledged (a loaded machine may answer few in d).
	time.Sleep(d)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		loaded := len(names) >= 4 && changes >= 2
		mu.Unlock()
		if loaded || time.Now().After(deadline) {
			break
		}
	}
	killed.Store(true)
	if err := p.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("SIGKILL: exit status 0")
	}
	wg.Wait()
	if len(names) == 0 || changes == 0 {
		t.Fatalf("cycle %d: %d groups and %d block changes acknowledged before the kill: no load", cycle, len(names), changes)
	}
	return names, changes
}

// crashECS is an ECS client of the seed account's key that does not retry.
func crashECS(tb testing.TB, addr string) *sdkecs.Client {
	tb.Helper()
	c, err := sdkecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithAutoRetry(false),
		credentials.NewAccessKeyCredential(seedKey, seedSecret))
	if err != nil {
		tb.Fatal(err)
	}
	c.Domain = addr
	return c
}

// checkCrashState checks that every acknowledged group exists and every
// block is whole, on the state expected; then it takes the state found as
// known.
func checkCrashState(t *testing.T, p *proc, blocks []blockState, acked []string) {
	t.Helper()
	c := ramClient(t, p.addr)
	have := map[string]bool{}
	for marker := ""; ; {
		req := ram.CreateListGroupsRequest()
		req.Domain, req.MaxItems, req.Marker = p.addr, requests.NewInteger(1000), marker
		res, err := c.ListGroups(req)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range res.Groups.Group {
			have[g.GroupName] = true
		}
		if !res.IsTruncated {
			break
		}
		marker = res.Marker
	}
	lost := 0
	for _, name := range acked {
		if !have[name] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged groups lost", lost, len(acked))
	}
	e := crashECS(t, p.addr)
	for b := range blocks {
		seen, with := 0, 0
		for page := 1; page <= 2; page++ { // 50 a page at most
			req := sdkecs.CreateDescribeInstanceRamRoleRequest()
			req.RegionId, req.InstanceIds = "cn-hangzhou", crashBlockIDs(b)
			req.PageSize, req.PageNumber = requests.NewInteger(50), requests.NewInteger(page)
			res, err := e.DescribeInstanceRamRole(req)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range res.InstanceRamRoleSets.InstanceRamRoleSet {
				seen++
				if s.RamRoleName == "RamRoleTest" {
					with++
				}
			}
		}
		switch {
		case seen != 100:
			t.Errorf("block %d: %d instances, want 100", b, seen)
		case with != 0 && with != 100:
			t.Errorf("block %d: %d of 100 instances have the role: a batch half applied", b, with)
		case !blocks[b].unsure && blocks[b].attached != (with == 100):
			t.Errorf("block %d: role on %d of 100 instances, but the last acknowledged change left it attached=%v", b, with, blocks[b].attached)
		}
		blocks[b] = blockState{attached: with == 100}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// crashRunID is a random tag for group names, so that names of different
// runs never meet.
func crashRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
