package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/sqlite"
)

// TestAccessKeyCacheFollowsWrites reads a key from many goroutines while its
// status flips; once the writes are over, every reader sees the last one.
// The race detector checks the cache's locking.
func TestAccessKeyCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.CreateAccount(ctx, localyun.Account{ID: "1000000000000001", Name: "a", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, localyun.User{ID: "1", AccountID: "1000000000000001", Name: "u", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUserAccessKey(ctx, localyun.AccessKey{ID: "AKC", Secret: "s", AccountID: "1000000000000001", UserName: "u",
		Status: localyun.AccessKeyActive, CreatedAt: now}, 2); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.FindAccessKey(ctx, "AKC"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	status := localyun.AccessKeyActive
	for i := range 200 {
		status = localyun.AccessKeyActive
		if i%2 == 0 {
			status = localyun.AccessKeyInactive
		}
		if err := st.UpdateAccessKeyStatus(ctx, "1000000000000001", "u", "AKC", status); err != nil {
			t.Fatal(err)
		}
		if k, err := st.FindAccessKey(ctx, "AKC"); err != nil || k.Status != status {
			t.Fatalf("write %d: FindAccessKey = %+v, %v; want status %s", i, k, err, status)
		}
	}
	close(stop)
	wg.Wait()
	if k, err := st.FindAccessKey(ctx, "AKC"); err != nil || k.Status != status {
		t.Fatalf("after the writes: FindAccessKey = %+v, %v; want status %s", k, err, status)
	}
}

// TestOneProcessPerFile: a SQLite file is open in one Store at a time; the
// lock goes with Close.
func TestOneProcessPerFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "in use by another localyun process") {
		t.Fatalf("second Open = %v, want in use", err)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, link); err == nil || !strings.Contains(err.Error(), "in use by another localyun process") {
		t.Fatalf("Open through a symlink = %v, want in use", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	st.Close()
}

// TestRoleCacheFollowsWrites: a role read by any spelling of its name is
// the committed one after UpdateRole and gone after DeleteRole, and a role
// created again under that name is read afresh.
func TestRoleCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const acct = "1000000000000001"
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CreateAccount(ctx, localyun.Account{ID: acct, Name: "a", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	create := func(id, doc string) {
		t.Helper()
		if err := st.CreateRole(ctx, localyun.Role{ID: id, AccountID: acct, Name: "AppRole", AssumeRolePolicyDocument: doc,
			MaxSessionDuration: 3600, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	want := func(name, doc string) {
		t.Helper()
		r, err := st.FindRoleByName(ctx, acct, name)
		if err != nil || r.AssumeRolePolicyDocument != doc || r.Name != "AppRole" {
			t.Fatalf("FindRoleByName(%q) = %q %q, %v; want the document %q", name, r.Name, r.AssumeRolePolicyDocument, err, doc)
		}
	}
	create("1", "v1")
	for range 2 {
		want("AppRole", "v1")
		want("approle", "v1")
		want("APPROLE", "v1")
	}
	doc := "v2"
	if _, err := st.UpdateRole(ctx, acct, "appROLE", localyun.RoleUpdate{AssumeRolePolicyDocument: &doc}); err != nil {
		t.Fatal(err)
	}
	want("AppRole", "v2")
	want("approle", "v2")
	if err := st.DeleteRole(ctx, acct, "APProle"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AppRole", "approle"} {
		if _, err := st.FindRoleByName(ctx, acct, name); !errors.Is(err, localyun.ErrNotFound) {
			t.Fatalf("after DeleteRole, FindRoleByName(%q): %v", name, err)
		}
	}
	create("2", "v3")
	want("approle", "v3")
	if _, err := st.FindRoleByName(ctx, "1000000000000002", "AppRole"); !errors.Is(err, localyun.ErrNotFound) {
		t.Fatalf("another account's role: %v", err)
	}
}
