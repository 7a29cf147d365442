// Package storetest is the conformance suite every localyun.Store
// implementation passes: SQLite and PostgreSQL run the same tests.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) localyun.Store

// CoreStore is the part of a store the foundation needs: accounts, keys,
// roles, instances and bastion instances.
type CoreStore interface {
	localyun.AccountStore
	localyun.RoleStore
	localyun.InstanceStore
	localyun.BastionInstanceStore
}

// CoreOpener returns a fresh, empty, migrated core store for one test.
type CoreOpener func(t *testing.T) CoreStore

// RunCore runs the behaviour tests of the core stores.
func RunCore(t *testing.T, open CoreOpener) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, open) })
	t.Run("Instances", func(t *testing.T) { testInstances(t, open) })
	t.Run("InstanceReadsFollowWrites", func(t *testing.T) { testInstanceReadsFollowWrites(t, open) })
	t.Run("InstanceByID", func(t *testing.T) { testInstanceByID(t, open) })
	t.Run("InstanceReadsUnderRace", func(t *testing.T) { testInstanceReadsUnderRace(t, open) })
	t.Run("InstanceModel", func(t *testing.T) { testInstanceModel(t, open) })
	t.Run("InstanceFilters", func(t *testing.T) { testInstanceFilters(t, open) })
	t.Run("InstanceTags", func(t *testing.T) { testInstanceTags(t, open) })
	t.Run("BastionInstances", func(t *testing.T) { testBastionInstances(t, open) })
}

// IAMStore is what the RAM users, groups, policies and STS suites need.
type IAMStore interface {
	localyun.AccountStore
	localyun.RoleStore
	localyun.UserStore
	localyun.GroupStore
	localyun.PolicyStore
	localyun.SessionStore
}

// IAMOpener returns a fresh, empty, migrated IAM store for one test.
type IAMOpener func(t *testing.T) IAMStore

// RunIAM runs the behaviour tests of RAM users, groups, policies and sessions.
func RunIAM(t *testing.T, open IAMOpener) {
	t.Run("IAM", func(t *testing.T) { testIAM(t, open) })
	t.Run("RolePolicies", func(t *testing.T) { testRolePolicies(t, open) })
	t.Run("AttachMissing", func(t *testing.T) { testAttachMissing(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
}

// BastionStore is what the Bastionhost suites need.
type BastionStore interface {
	localyun.AccountStore
	localyun.BastionInstanceStore
	localyun.BastionStore
}

// BastionOpener returns a fresh, empty, migrated Bastionhost store for one test.
type BastionOpener func(t *testing.T) BastionStore

// RunBastion runs the behaviour tests of Bastionhost objects and grants.
func RunBastion(t *testing.T, open BastionOpener) {
	t.Run("Bastion", func(t *testing.T) { testBastion(t, open) })
}

// Run runs every store behaviour test against stores from open.
func Run(t *testing.T, open Opener) {
	RunCore(t, func(t *testing.T) CoreStore { return open(t) })
	RunIAM(t, func(t *testing.T) IAMStore { return open(t) })
	RunBastion(t, func(t *testing.T) BastionStore { return open(t) })
	RunClientTokens(t, func(t *testing.T) ClientTokenStore { return open(t) })
	RunInstanceSessions(t, func(t *testing.T) InstanceSessionStore { return open(t) })
	RunSSHHostKeys(t, func(t *testing.T) SSHHostKeyStore { return open(t) })
	RunEvents(t, func(t *testing.T) EventStore { return open(t) })
	RunReset(t, open)
	// Suites of later features are added here, one line each.
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// MustCreateAccount creates an account with one root key.
func MustCreateAccount(tb testing.TB, st localyun.AccountStore, id string) {
	tb.Helper()
	ctx := context.Background()
	if err := st.CreateAccount(ctx, localyun.Account{ID: id, Name: "n" + id, CreatedAt: epoch}); err != nil {
		tb.Fatal(err)
	}
	if err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: "AK" + id, Secret: "s" + id, AccountID: id,
		Status: localyun.AccessKeyActive, CreatedAt: epoch}); err != nil {
		tb.Fatal(err)
	}
}

// wantKind fails unless errors.Is(err, kind).
func wantKind(tb testing.TB, err, kind error) {
	tb.Helper()
	if !errors.Is(err, kind) {
		tb.Fatalf("got error %v, want kind %v", err, kind)
	}
}
