package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// SSHHostKeyStore is what the gateway host key suite needs.
type SSHHostKeyStore interface {
	localyun.AccountStore
	localyun.BastionInstanceStore
	localyun.BastionSSHHostKeyStore
}

// SSHHostKeyOpener returns a fresh, empty, migrated store for one test.
type SSHHostKeyOpener func(t *testing.T) SSHHostKeyStore

// RunSSHHostKeys runs the behaviour tests of the gateway's host keys.
func RunSSHHostKeys(t *testing.T, open SSHHostKeyOpener) {
	t.Run("SSHHostKeys", func(t *testing.T) { testSSHHostKeys(t, open) })
	t.Run("SSHHostKeysConcurrent", func(t *testing.T) { testSSHHostKeysConcurrent(t, open) })
}

// mustCreateBastions creates n bastion instances, the i-th created i
// minutes after epoch, alternating between two accounts.
func mustCreateBastions(t *testing.T, st SSHHostKeyStore, n int) []string {
	t.Helper()
	accounts := []string{"1111111111111111", "2222222222222222"}
	for _, a := range accounts {
		MustCreateAccount(t, st, a)
	}
	var ids []string
	for i := range n {
		// Ids in the reverse of creation order: the listing follows creation.
		id := fmt.Sprintf("bastionhost-cn-%02d", n-i)
		b := localyun.BastionInstance{ID: id, AccountID: accounts[i%2], RegionID: "cn-hangzhou",
			Status: localyun.BastionRunning, PlanCode: "cloudbastion", CreatedAt: epoch.Add(time.Duration(i) * time.Minute),
			ExpiresAt: epoch.AddDate(1, 0, 0)}
		if err := st.CreateBastionInstance(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func testSSHHostKeys(t *testing.T, open SSHHostKeyOpener) {
	ctx := context.Background()
	st := open(t)
	ids := mustCreateBastions(t, st, 2)
	keys, err := st.FindBastionSSHHostKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].InstanceID != ids[0] || keys[1].InstanceID != ids[1] ||
		keys[0].Slot != -1 || keys[0].PrivateKey != "" || keys[0].AccountID != "1111111111111111" || keys[1].RegionID != "cn-hangzhou" {
		t.Fatalf("FindBastionSSHHostKeys (no keys) = %+v, %v", keys, err)
	}
	// The second instance is met first: it gets slot 0.
	k, err := st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: ids[1], Slot: 7,
		PrivateKey: "key-b\nline 2\n", CreatedAt: epoch})
	if err != nil || k.Slot != 0 || k.PrivateKey != "key-b\nline 2\n" || !k.CreatedAt.Equal(epoch) ||
		k.AccountID != "2222222222222222" || k.RegionID != "cn-hangzhou" {
		t.Fatalf("CreateBastionSSHHostKey = %+v, %v", k, err)
	}
	k, err = st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: ids[0], PrivateKey: "key-a", CreatedAt: epoch})
	if err != nil || k.Slot != 1 || k.PrivateKey != "key-a" {
		t.Fatalf("CreateBastionSSHHostKey = %+v, %v", k, err)
	}
	// A second creation keeps the stored key and slot.
	k, err = st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: ids[1], PrivateKey: "other", CreatedAt: epoch.Add(1)})
	if err != nil || k.Slot != 0 || k.PrivateKey != "key-b\nline 2\n" {
		t.Fatalf("CreateBastionSSHHostKey again = %+v, %v", k, err)
	}
	_, err = st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: "bastionhost-none", PrivateKey: "x", CreatedAt: epoch})
	wantKind(t, err, localyun.ErrNotFound)
	_, err = st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: ids[0], CreatedAt: epoch})
	wantKind(t, err, localyun.ErrInvalid)
	keys, err = st.FindBastionSSHHostKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Slot != 1 || keys[0].PrivateKey != "key-a" ||
		keys[1].Slot != 0 || keys[1].PrivateKey != "key-b\nline 2\n" || !keys[1].CreatedAt.Equal(epoch) ||
		keys[0].AccountID != "1111111111111111" || keys[1].AccountID != "2222222222222222" || keys[0].RegionID != "cn-hangzhou" {
		t.Fatalf("FindBastionSSHHostKeys = %+v, %v", keys, err)
	}
}

// testSSHHostKeysConcurrent: creations racing (as nodes starting together
// do) give each instance one key and distinct, consecutive slots.
func testSSHHostKeysConcurrent(t *testing.T, open SSHHostKeyOpener) {
	ctx := context.Background()
	st := open(t)
	ids := mustCreateBastions(t, st, 4)
	var wg sync.WaitGroup
	got := make([][]localyun.BastionSSHHostKey, 3)
	errs := make([]error, 3)
	for node := range got {
		wg.Go(func() {
			for _, id := range ids {
				k, err := st.CreateBastionSSHHostKey(ctx, localyun.BastionSSHHostKey{InstanceID: id,
					PrivateKey: fmt.Sprintf("key-%s-%d", id, node), CreatedAt: epoch})
				if err != nil {
					errs[node] = err
					return
				}
				got[node] = append(got[node], k)
			}
		})
	}
	wg.Wait()
	for node, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", node, err)
		}
	}
	keys, err := st.FindBastionSSHHostKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var slots []int
	for i, k := range keys {
		slots = append(slots, k.Slot)
		for node := range got {
			if got[node][i] != k {
				t.Errorf("node %d got %+v, stored %+v", node, got[node][i], k)
			}
		}
	}
	sort.Ints(slots)
	if fmt.Sprint(slots) != "[0 1 2 3]" {
		t.Fatalf("slots = %v, want 0..3 once each", slots)
	}
}
