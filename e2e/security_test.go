package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
	internalsts "github.com/localyun/localyun/internal/sts"
)

// rawCall is one hand-made V1 request.
type rawCall struct {
	key, secret, token string
	version, action    string
	params             map[string]string
	timestamp          time.Time
	nonce              string
	unsigned           bool
	body               []byte // sent as a form body instead of the query
}

func (e *env) raw(t *testing.T, c rawCall) (int, string) {
	t.Helper()
	v := url.Values{}
	ts := c.timestamp
	if ts.IsZero() {
		ts = time.Now().UTC()
	}
	nonce := c.nonce
	if nonce == "" {
		b := make([]byte, 16)
		rand.Read(b)
		nonce = hex.EncodeToString(b)
	}
	for k, val := range map[string]string{"Action": c.action, "Version": c.version, "Format": "JSON", "AccessKeyId": c.key,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": nonce,
		"Timestamp": ts.Format("2006-01-02T15:04:05Z")} {
		v.Set(k, val)
	}
	if c.token != "" {
		v.Set("SecurityToken", c.token)
	}
	for k, val := range c.params {
		v.Set(k, val)
	}
	if !c.unsigned {
		v.Set("Signature", protocol.SignV1(protocol.StringToSignV1("POST", v), c.secret))
	}
	body := c.body
	req, _ := http.NewRequest("POST", e.URL+"/?"+v.Encode(), bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(res.Body)
	var out struct{ Code string }
	json.Unmarshal(buf, &out)
	return res.StatusCode, out.Code
}

// snapshot summarises the state of both accounts.
func snapshot(t *testing.T, st localyun.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, acct := range []string{accountA, accountB} {
		users, _ := st.FindUsers(ctx, localyun.UserFilter{AccountID: acct})
		roles, _ := st.FindRoles(ctx, localyun.RoleFilter{AccountID: acct})
		groups, _ := st.FindGroups(ctx, localyun.GroupFilter{AccountID: acct})
		pols, _ := st.FindPolicies(ctx, localyun.PolicyFilter{AccountID: acct})
		insts, n, _ := st.FindInstances(ctx, localyun.InstanceFilter{AccountID: acct, RegionID: region})
		fmt.Fprintf(&b, "%s u%d r%d g%d p%d i%d", acct, len(users), len(roles), len(groups), len(pols), n)
		for _, in := range insts {
			b.WriteString(" " + in.ID + "=" + in.RAMRoleName)
		}
		for _, u := range users {
			keys, _ := st.FindAccessKeys(ctx, acct, u.Name)
			for _, k := range keys {
				b.WriteString(" " + k.ID + ":" + k.Status)
			}
		}
	}
	return b.String()
}

func TestSecurity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, id := ecsWorld(t, e)
	m := newIAM(e, keyA, secretA)
	uk, us := m.user("worker", "AdministratorAccess")
	ik, is := m.user("idle", "AdministratorAccess")
	deactivateKey(t, e, "idle", ik)
	now := time.Now().UTC()
	// A key whose user is gone (not reachable through the API).
	if err := e.Store.CreateAccessKey(ctx, localyun.AccessKey{ID: "LTAI5tGhostKey00001", Secret: "ghostsecret", AccountID: accountA,
		UserName: "ghost", Status: localyun.AccessKeyActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	tok := func(b byte) string { return internalsts.TokenPrefix + strings.Repeat(string('A'+b), 64) }
	for i, exp := range []time.Time{now.Add(-time.Hour), now.Add(time.Hour)} {
		if err := e.Store.CreateSession(ctx, localyun.Session{AccessKeyID: fmt.Sprintf("STS.sess%d", i), Secret: "sesssecret",
			TokenHash: internalsts.HashToken(tok(byte(i))), AccountID: accountA, RoleName: "EcsAppRole", SessionName: "s",
			CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	deep := strings.Repeat("[", 3000) + strings.Repeat("]", 3000)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("i-%020d", i)
	}
	manyJSON, _ := json.Marshal(many)
	const ecsV, ramV = "2014-05-26", "2015-05-01"
	nonce := "fixed-nonce-0001"
	root := func(action, version string, params map[string]string) rawCall {
		return rawCall{key: keyA, secret: secretA, version: version, action: action, params: params}
	}
	detach := map[string]string{"RegionId": region, "InstanceIds": `["` + id + `"]`}
	for _, tc := range []struct {
		name   string
		call   rawCall
		status int
		code   string
		before *rawCall // sent first (and expected to succeed)
	}{
		{"unsigned", rawCall{key: keyA, unsigned: true, version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "MissingSignature", nil},
		{"wrong secret", rawCall{key: keyA, secret: "nope", version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "SignatureDoesNotMatch", nil},
		{"replayed nonce", rawCall{key: keyA, secret: secretA, version: ramV, action: "ListUsers", nonce: nonce}, 400, "SignatureNonceUsed",
			&rawCall{key: keyA, secret: secretA, version: ramV, action: "ListUsers", nonce: nonce}},
		{"stale timestamp", rawCall{key: keyA, secret: secretA, version: ecsV, action: "DetachInstanceRamRole", params: detach, timestamp: now.Add(-20 * time.Minute)}, 400, "InvalidTimeStamp.Expired", nil},
		{"future timestamp", rawCall{key: keyA, secret: secretA, version: ecsV, action: "DetachInstanceRamRole", params: detach, timestamp: now.Add(20 * time.Minute)}, 400, "InvalidTimeStamp.Expired", nil},
		{"inactive key", rawCall{key: ik, secret: is, version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "InvalidAccessKeyId.Inactive", nil},
		{"unknown key", rawCall{key: "LTAI5tNoSuchKey0001", secret: "x", version: ecsV, action: "DetachInstanceRamRole", params: detach}, 404, "InvalidAccessKeyId.NotFound", nil},
		{"key of a deleted user", rawCall{key: "LTAI5tGhostKey00001", secret: "ghostsecret", version: ecsV, action: "DetachInstanceRamRole", params: detach}, 404, "InvalidAccessKeyId.NotFound", nil},
		{"expired STS token", rawCall{key: "STS.sess0", secret: "sesssecret", token: tok(0), version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "InvalidSecurityToken.Expired", nil},
		{"token of another key", rawCall{key: "STS.sess1", secret: "sesssecret", token: tok(0), version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "InvalidSecurityToken.Mismatch", nil},
		{"missing token", rawCall{key: "STS.sess1", secret: "sesssecret", version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "MissingSecurityToken", nil},
		{"malformed token", rawCall{key: "STS.sess1", secret: "sesssecret", token: "garbage", version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "InvalidSecurityToken.Malformed", nil},
		{"token with a permanent key", rawCall{key: uk, secret: us, token: tok(1), version: ecsV, action: "DetachInstanceRamRole", params: detach}, 400, "InvalidSecurityToken.Mismatch", nil},
		{"cross-account instance", rawCall{key: keyB, secret: secretB, version: ecsV, action: "DetachInstanceRamRole", params: detach}, 404, "InvalidInstanceId.NotFound", nil},
		{"cross-account user", rawCall{key: keyB, secret: secretB, version: ramV, action: "DeleteUser", params: map[string]string{"UserName": "worker"}}, 404, "EntityNotExist.User", nil},
		{"cross-account role", rawCall{key: keyB, secret: secretB, version: ramV, action: "DeleteRole", params: map[string]string{"RoleName": "EcsAppRole"}}, 404, "EntityNotExist.Role", nil},
		{"cross-account key", rawCall{key: keyB, secret: secretB, version: ramV, action: "DeleteAccessKey", params: map[string]string{"UserAccessKeyId": uk}}, 404, "EntityNotExist.User.AccessKey", nil},
		{"oversized body", rawCall{key: keyA, secret: secretA, version: ramV, action: "CreateUser", body: bytes.Repeat([]byte("a"), protocol.MaxBodyBytes+10)}, 413, "RequestEntityTooLarge", nil},
		{"oversized JSON array", root("DetachInstanceRamRole", ecsV, map[string]string{"RegionId": region, "InstanceIds": string(manyJSON)}), 400, "InvalidInstanceIds.Malformed", nil},
		{"deeply nested InstanceIds", root("DetachInstanceRamRole", ecsV, map[string]string{"RegionId": region, "InstanceIds": deep}), 400, "InvalidInstanceIds.Malformed", nil},
		{"deeply nested policy", root("CreatePolicy", ramV, map[string]string{"PolicyName": "Deep", "PolicyDocument": deep}), 400, "MalformedPolicyDocument", nil},
		{"non-UTF-8 display name", root("CreateUser", ramV, map[string]string{"UserName": "utf", "DisplayName": "a\xffb"}), 400, "InvalidParameter.DisplayName", nil},
		{"non-UTF-8 user name", root("CreateUser", ramV, map[string]string{"UserName": "a\xffb"}), 400, "InvalidParameter.UserName.InvalidChars", nil},
		{"non-UTF-8 policy", root("CreatePolicy", ramV, map[string]string{"PolicyName": "P", "PolicyDocument": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:\xff\"}]}"}), 400, "MalformedPolicyDocument", nil},
		{"SQL in user name", root("CreateUser", ramV, map[string]string{"UserName": "x'; DROP TABLE users;--"}), 400, "InvalidParameter.UserName.InvalidChars", nil},
		{"SQL in role name", root("GetRole", ramV, map[string]string{"RoleName": "x' OR '1'='1"}), 400, "InvalidParameter.RoleName.InvalidChars", nil},
		{"SQL in group name", root("DeleteGroup", ramV, map[string]string{"GroupName": "g\" OR 1=1 --"}), 400, "InvalidParameter.GroupName.InvalidChars", nil},
		{"shell in policy name", root("DeletePolicy", ramV, map[string]string{"PolicyName": "$(rm -rf /)"}), 400, "InvalidParameter.PolicyName.InvalidChars", nil},
		{"shell in instance id", root("DetachInstanceRamRole", ecsV, map[string]string{"RegionId": region, "InstanceIds": "[\"i-`reboot`\"]"}), 404, "InvalidInstanceId.NotFound", nil},
		{"SQL in access key id", root("DeleteAccessKey", ramV, map[string]string{"UserName": "worker", "UserAccessKeyId": "' OR ''='"}), 404, "EntityNotExist.User.AccessKey", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				if st, code := e.raw(t, *tc.before); st != 200 {
					t.Fatalf("first request: %d %s", st, code)
				}
			}
			before := snapshot(t, e.Store)
			st, code := e.raw(t, tc.call)
			if st != tc.status || code != tc.code {
				t.Fatalf("got %d %s, want %d %s", st, code, tc.status, tc.code)
			}
			if after := snapshot(t, e.Store); after != before {
				t.Fatalf("state changed:\n before %s\n after  %s", before, after)
			}
		})
	}
}

// deactivateKey deactivates a user's key through the API.
func deactivateKey(t *testing.T, e *env, user, key string) {
	t.Helper()
	status, code := e.raw(t, rawCall{key: keyA, secret: secretA, version: "2015-05-01", action: "UpdateAccessKey",
		params: map[string]string{"UserName": user, "UserAccessKeyId": key, "Status": "Inactive"}})
	if status != 200 {
		t.Fatalf("UpdateAccessKey: %d %s", status, code)
	}
}
