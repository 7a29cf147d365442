package e2e_test

// ResetAccount (Localyun 2026-11-30) through the official SDKs on every
// backend of the matrix: a test suite empties its account between tests
// on a running server.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/server"
)

// resetState is what an account holds, as its root lists it through the
// v1 SDK (JSON): RAM roles, users, groups and custom policies, ECS
// instances and bastion instances.
func resetState(t *testing.T, e *env, key, secret string) string {
	t.Helper()
	ramc := e.clients(key, secret, ramProduct, ramVersion)["v1-JSON"]
	ecsc := e.clients(key, secret, "Ecs", "2014-05-26")["v1-JSON"]
	bh := e.bhClients(key, secret)["v1-JSON"]
	var out []string
	list := func(c bhCaller, action string, params map[string]string, path ...string) {
		t.Helper()
		body, err := c(action, params)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		v := any(body)
		for _, p := range path[:len(path)-1] {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		var names []string
		for _, item := range list(v) {
			names = append(names, str(item[path[len(path)-1]]))
		}
		sort.Strings(names)
		out = append(out, action+": "+strings.Join(names, ","))
	}
	list(ramc, "ListRoles", nil, "Roles", "Role", "RoleName")
	list(ramc, "ListUsers", nil, "Users", "User", "UserName")
	list(ramc, "ListGroups", nil, "Groups", "Group", "GroupName")
	list(ramc, "ListPolicies", map[string]string{"PolicyType": "Custom"}, "Policies", "Policy", "PolicyName")
	list(ecsc, "DescribeInstances", map[string]string{"RegionId": region}, "Instances", "Instance", "InstanceId")
	list(bh, "DescribeInstances", map[string]string{"RegionId": region}, "Instances", "InstanceId")
	return strings.Join(out, "\n")
}

// TestResetAccount: the account root resets its account with ResetAccount
// through each official client (v1 CommonRequest JSON and XML, V3
// CallApi): a dry run counts and changes nothing, a RAM user with
// AdministratorAccess is refused, the reset empties the account (RAM,
// ECS, Bastionhost), the root's key still signs, the RAM user's key no
// longer does, and the other account is untouched; the audit trail is
// kept, with the reset in it.
func TestResetAccount(t *testing.T) {
	e, _, opKey, opSecret := explainWorld(t)
	adminKey, adminSecret := newIAM(e, keyA, secretA).user("admin", "AdministratorAccess")
	// Account B holds a user, a role and a bastion host.
	newIAM(e, keyB, secretB).user("bob-b")
	e.mustRole(accountB, "RoleB", ecsTrustDoc)
	if _, err := e.bhClients(keyB, secretB)["v1-JSON"]("CreateHost", p(bhInstB, "HostName", "web-b", "OSType", "Linux",
		"Source", "Local", "ActiveAddressType", "Private", "HostPrivateAddress", "10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	beforeA, beforeB := resetState(t, e, keyA, secretA), resetState(t, e, keyB, secretB)
	if !strings.Contains(beforeA, "EcsAppRole") || !strings.Contains(beforeA, bhInstA) {
		t.Fatalf("account A before the reset:\n%s", beforeA)
	}
	root := e.clients(keyA, secretA, explainProduct, explainVersion)
	for name, c := range root {
		body, err := c("ResetAccount", map[string]string{"DryRun": "true"})
		if err != nil || str(body["DryRun"]) != "true" || num(body["TotalCount"]) < 10 || str(body["AccountId"]) != accountA {
			t.Fatalf("%s: ResetAccount(DryRun) = %v, %v", name, body, err)
		}
	}
	if got := resetState(t, e, keyA, secretA); got != beforeA {
		t.Fatalf("a dry run changed the account:\n%s\nwant\n%s", got, beforeA)
	}
	for name, c := range e.clients(adminKey, adminSecret, explainProduct, explainVersion) {
		_, err := c("ResetAccount", nil)
		if status, code := apiCode(err); status != http.StatusForbidden || code != "NoPermission" {
			t.Fatalf("%s: ResetAccount as a RAM user with AdministratorAccess = %d %s (%v), want 403 NoPermission", name, status, code, err)
		}
	}
	if got := resetState(t, e, keyA, secretA); got != beforeA {
		t.Fatalf("a refused reset changed the account:\n%s", got)
	}
	// ExplainAccess tells the same: the admin is refused whatever its policies.
	ex, err := root["v3"]("ExplainAccess", map[string]string{"UserName": "admin", "AuthAction": "localyun:ResetAccount",
		"AuthResource": "acs:ram::" + accountA + ":root"})
	if err != nil || str(ex["Decision"]) != "ExplicitDeny" || str(ex["Allowed"]) != "false" {
		t.Fatalf("ExplainAccess(admin, localyun:ResetAccount) = %v, %v; want ExplicitDeny", ex, err)
	}
	body, err := root["v3"]("ResetAccount", nil)
	if err != nil || str(body["DryRun"]) != "false" || str(body["KeepEvents"]) != "true" || num(body["TotalCount"]) < 10 {
		t.Fatalf("ResetAccount (V3) = %v, %v", body, err)
	}
	t.Logf("ResetAccount deleted %v rows: %v", body["TotalCount"], body["Deleted"])
	want := "ListRoles: \nListUsers: \nListGroups: \nListPolicies: \nDescribeInstances: \nDescribeInstances: "
	if got := resetState(t, e, keyA, secretA); got != want { // the root still signs
		t.Fatalf("account A after the reset:\n%s\nwant\n%s", got, want)
	}
	if got := resetState(t, e, keyB, secretB); got != beforeB {
		t.Fatalf("account B after A's reset:\n%s\nwant\n%s", got, beforeB)
	}
	for _, k := range [][2]string{{opKey, opSecret}, {adminKey, adminSecret}} {
		_, err := e.clients(k[0], k[1], ramProduct, ramVersion)["v1-XML"]("ListUsers", nil)
		if status, code := apiCode(err); status != http.StatusNotFound || code != "InvalidAccessKeyId.NotFound" {
			t.Fatalf("a deleted RAM user's key: %d %s (%v)", status, code, err)
		}
	}
	// Nothing is left to count (XML).
	body, err = root["v1-XML"]("ResetAccount", map[string]string{"DryRun": "true"})
	if err != nil || num(body["TotalCount"]) != 0 || len(list(body["Deleted"])) < 10 {
		t.Fatalf("ResetAccount(DryRun, XML) after the reset = %v, %v", body, err)
	}
	names := resetEventNames(t, e, accountA)
	if !names["ResetAccount"] || !names["CreateRole"] || !names["RunInstances"] {
		t.Fatalf("LookupEvents after the reset: %v, want the reset and the events before it", names)
	}
}

// resetEventNames are the names of the API events of acct in LookupEvents.
func resetEventNames(t *testing.T, e *env, acct string) map[string]bool {
	t.Helper()
	e.server.FlushAuditEvents()
	out := map[string]bool{}
	for _, ev := range e.lookupAllEvents(t, acct) {
		if ev["eventType"] == localyun.EventTypeAPICall {
			out[str(ev["eventName"])] = true
		}
	}
	return out
}

// forgetAccount drops the recorded calls of acct's keys: the audit check
// no longer expects their events (ResetAccount KeepEvents=false deleted
// them).
func (a *auditRecorder) forgetAccount(acct string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept := a.calls[:0]
	for _, c := range a.calls {
		if a.keys[c.keyID].account != acct {
			kept = append(kept, c)
		}
	}
	a.calls = kept
}

// TestResetAccountClearEvents: with KeepEvents=false the account's audit
// trail is emptied but for the reset's own event; the other account's is
// kept. Invalid booleans are refused and change nothing.
func TestResetAccountClearEvents(t *testing.T) {
	e := newEnv(t)
	for _, k := range [][2]string{{keyA, secretA}, {keyB, secretB}} {
		newIAM(e, k[0], k[1]).user("u1")
	}
	root := e.clients(keyA, secretA, explainProduct, explainVersion)["v1-JSON"]
	for _, bad := range []map[string]string{{"DryRun": "maybe"}, {"KeepEvents": "no-thanks"}} {
		_, err := root("ResetAccount", bad)
		if status, code := apiCode(err); status != http.StatusBadRequest || !strings.HasPrefix(code, "InvalidParameter.") {
			t.Fatalf("ResetAccount(%v) = %d %s, want 400 InvalidParameter.*", bad, status, code)
		}
	}
	if names := resetEventNames(t, e, accountA); !names["CreateUser"] {
		t.Fatalf("events before the reset: %v", names)
	}
	e.audit.forgetAccount(accountA)
	body, err := root("ResetAccount", map[string]string{"KeepEvents": "false"})
	if err != nil || str(body["KeepEvents"]) != "false" {
		t.Fatalf("ResetAccount(KeepEvents=false) = %v, %v", body, err)
	}
	if names := resetEventNames(t, e, accountA); fmt.Sprint(names) != "map[ResetAccount:true]" {
		t.Fatalf("account A's events after the reset: %v, want only ResetAccount", names)
	}
	if names := resetEventNames(t, e, accountB); !names["CreateUser"] {
		t.Fatalf("account B's events after A's reset: %v", names)
	}
}

// resetOn resets the gateway world's account (the seed's root key) through
// node n's API and returns when the call returned.
func (w *gwWorld) resetOn(n *gwNode) time.Time {
	w.t.Helper()
	e := &env{t: w.t, Host: n.Addr}
	body, err := e.clients(gwKey, gwSecret, explainProduct, explainVersion)["v1-JSON"]("ResetAccount", nil)
	if err != nil || num(body["TotalCount"]) == 0 {
		w.t.Fatalf("ResetAccount = %v, %v", body, err)
	}
	return time.Now()
}

// wantEnded fails unless every session ends within cutBound of at.
func wantEnded(t *testing.T, ss map[string]*session, at time.Time) {
	t.Helper()
	for u, s := range ss {
		took, ok := s.endedWithin(cutBound, at)
		if !ok {
			t.Fatalf("%s's session still runs %v after ResetAccount; output:\n%s", u, cutBound, s.output())
		}
		t.Logf("%s's session ended %v after ResetAccount returned", u, took)
	}
}

// TestSSHGatewayResetEndsSessions: ResetAccount ends every live session
// of the account's bastion instances through the gateway (a real sshd
// behind it), whatever grant path each had, and a new login is refused.
func TestSSHGatewayResetEndsSessions(t *testing.T) {
	w := newGWWorld(t, "", 1, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := w.nodes[0]
	ss := w.holdSessions(ctx, n, "alice", "bob", "carol")
	wantEnded(t, ss, w.resetOn(n))
	if o, err := w.proxied(ctx, n, "carol", "web", "echo in").CombinedOutput(); err == nil {
		t.Fatalf("carol logged in after the reset: %q", o)
	}
}

// TestSSHGatewayResetAcrossNodes: two nodes on one PostgreSQL database;
// the sessions run through node B's gateway and the reset goes to node A
// (its NOTIFY reaches B).
func TestSSHGatewayResetAcrossNodes(t *testing.T) {
	processLevel(t)
	w := newGWWorld(t, pgtest.NewDatabase(t), 2, "terminate")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ss := w.holdSessions(ctx, w.nodes[1], "alice", "carol")
	wantEnded(t, ss, w.resetOn(w.nodes[0]))
}

// TestResetStopsInstanceCredentials: the credentials the metadata service
// issued to an instance stop at their next call once ResetAccount deleted
// the instance and the account's STS sessions, in both revocation modes
// (tail keeps a detached role's credentials until they expire; a reset
// deletes the sessions themselves), and none are issued any more.
func TestResetStopsInstanceCredentials(t *testing.T) {
	for _, mode := range []string{server.RevocationTail, server.RevocationStrict} {
		t.Run(mode, func(t *testing.T) {
			c := newCredsEnv(t, mode)
			id := c.runInstance("EcsAppRole")
			cr, err := c.creds(id)
			if err != nil {
				t.Fatal(err)
			}
			sc := c.client(cr)
			if err := c.describe(sc); err != nil {
				t.Fatalf("the instance's credentials before the reset: %v", err)
			}
			if _, err := c.env.clients(keyA, secretA, explainProduct, explainVersion)["v1-JSON"]("ResetAccount", nil); err != nil {
				t.Fatal(err)
			}
			serverError(t, c.describe(sc), "InvalidAccessKeyId.NotFound", http.StatusNotFound)
			if _, err := c.creds(id); !errors.Is(err, localyun.ErrNotFound) {
				t.Fatalf("credentials of the deleted instance: %v, want none", err)
			}
		})
	}
}
