package e2e_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"testing"
	"time"
)

// TestBastionOperationActions drives the O&M actions (issue 15) through
// each official client: ListOperationHosts and ListOperationHostAccounts
// answer for the bastion user the calling RAM user is (Source Ram,
// SourceUserId its id) with its effective access, the account root and
// unmapped callers get none; GenerateAssetOperationToken, the user public
// keys, LockUsers/UnlockUsers and ModifyHostsPort, with their codes.
func TestBastionOperationActions(t *testing.T) {
	for _, client := range []string{"v1-JSON", "v1-XML", "v3"} {
		t.Run(client, func(t *testing.T) {
			e := newBastionEnv(t)
			m := newIAM(e, keyA, secretA)
			m.customPolicy("Bastion", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"yundun-bastionhost:*","Resource":"*"}]}`)
			key, secret := m.user("opsuser")
			m.attach("Custom", "Bastion", "opsuser")
			ru, err := e.Store.FindUserByName(context.Background(), accountA, "opsuser")
			if err != nil {
				t.Fatal(err)
			}
			operationScenario(t, e.bhClients(keyA, secretA)[client], e.bhClients(key, secret)[client], ru.ID)
		})
	}
}

func operationScenario(t *testing.T, root, user bhCaller, ramUserID string) {
	I := bhInstA
	do := func(call bhCaller, action string, params map[string]string) map[string]any {
		t.Helper()
		body, err := call(action, params)
		if err != nil {
			t.Fatalf("%s %v: %v", action, params, err)
		}
		return body
	}
	fail := func(call bhCaller, action string, params map[string]string, status int, code string) {
		t.Helper()
		_, err := call(action, params)
		if gs, gc := apiCode(err); gs != status || gc != code {
			t.Fatalf("%s %v: got %d %s (%v), want %d %s", action, params, gs, gc, err, status, code)
		}
	}
	eq := func(what string, got, want any) {
		t.Helper()
		if str(got) != str(want) {
			t.Fatalf("%s = %q, want %q", what, str(got), str(want))
		}
	}
	for _, name := range []string{"web", "db"} {
		do(root, "CreateHost", p(I, "HostName", name, "OSType", "Linux", "Source", "Local", "ActiveAddressType", "Private",
			"HostPrivateAddress", "127.0.0.1"))
	}
	do(root, "CreateHostAccount", p(I, "HostId", "1", "HostAccountName", "root", "ProtocolName", "SSH", "Password", "hostpw"))
	do(root, "CreateHostAccount", p(I, "HostId", "2", "HostAccountName", "root", "ProtocolName", "SSH", "Password", "hostpw"))
	do(root, "CreateUser", p(I, "UserName", "alice", "Source", "Local", "Password", "Passw0rd!x"))
	eq("ram user", do(root, "CreateUser", p(I, "UserName", "ops", "Source", "Ram", "SourceUserId", ramUserID))["UserId"], "2")

	// Effective access of the caller's bastion user, none for the root.
	eq("no grants", do(user, "ListOperationHosts", p(I))["TotalCount"], "0")
	do(root, "AttachHostAccountsToUser", p(I, "UserId", "2", "Hosts", `[{"HostId":"1","HostAccountIds":["1"]}]`))
	b := do(user, "ListOperationHosts", p(I))
	eq("ListOperationHosts", b["TotalCount"], "1")
	eq("host", field(list(b["Hosts"]), "HostId")+"/"+field(list(b["Hosts"]), "HostName")+"/"+field(list(b["Hosts"]), "Source"), "1/web/Local")
	eq("filtered", do(user, "ListOperationHosts", p(I, "HostName", "db"))["TotalCount"], "0")
	b = do(user, "ListOperationHostAccounts", p(I, "HostId", "1"))
	accts := list(b["HostAccounts"])
	eq("accounts", field(accts, "HostAccountId")+"/"+field(accts, "HostAccountName")+"/"+field(accts, "ProtocolName")+"/"+field(accts, "HasPassword"),
		"1/root/SSH/true")
	eq("ungranted host", do(user, "ListOperationHostAccounts", p(I, "HostId", "2"))["TotalCount"], "0")
	eq("root caller", do(root, "ListOperationHosts", p(I))["TotalCount"], "0")
	fail(user, "ListOperationHostAccounts", p(I), 400, "MissingHostId")

	// O&M tokens: for a host account the user may use.
	before := time.Now().Unix()
	tok := do(user, "GenerateAssetOperationToken", p(I, "AssetId", "1", "AssetType", "Host", "AssetAccountName", "root"))["AssetOperationToken"].(map[string]any)
	if len(str(tok["Token"])) < 32 || str(tok["TokenId"]) != "1" {
		t.Fatalf("token %v", tok)
	}
	if exp, _ := strconv.ParseInt(str(tok["ExpireTime"]), 10, 64); exp < before+3500 || exp > before+3700 {
		t.Fatalf("ExpireTime %v, want an hour from now", tok["ExpireTime"])
	}
	fail(user, "GenerateAssetOperationToken", p(I, "AssetId", "2", "AssetType", "Host", "AssetAccountId", "2"), 403, "NoPermission")
	fail(user, "GenerateAssetOperationToken", p(I, "AssetId", "9", "AssetType", "Host", "AssetAccountId", "2"), 404, "HostNotFound")
	fail(user, "GenerateAssetOperationToken", p(I, "AssetId", "1", "AssetType", "Database", "AssetAccountId", "1"), 400, "InvalidParameter")
	fail(user, "GenerateAssetOperationToken", p(I, "AssetId", "1", "AssetType", "Host"), 400, "MissingAssetAccountId")
	fail(root, "GenerateAssetOperationToken", p(I, "AssetId", "1", "AssetType", "Host", "AssetAccountId", "1"), 404, "OBJECT_NOT_FOUND")

	// Public keys.
	line := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
	pk := base64.StdEncoding.EncodeToString([]byte(line))
	eq("CreateUserPublicKey", do(root, "CreateUserPublicKey", p(I, "UserId", "1", "PublicKeyName", "laptop", "PublicKey", pk, "Comment", "c"))["PublicKeyId"], "1")
	fail(root, "CreateUserPublicKey", p(I, "UserId", "1", "PublicKeyName", "again", "PublicKey", pk), 409, "OBJECT_AlREADY_EXISTS")
	fail(root, "CreateUserPublicKey", p(I, "UserId", "9", "PublicKeyName", "k", "PublicKey", pk), 404, "OBJECT_NOT_FOUND")
	fail(root, "CreateUserPublicKey", p(I, "UserId", "1", "PublicKeyName", "k", "PublicKey", "bm90IGEga2V5"), 400, "InvalidParameter")
	b = do(root, "ListUserPublicKeys", p(I, "UserId", "1"))
	keys := list(b["PublicKeys"])
	eq("ListUserPublicKeys", str(b["TotalCount"])+"/"+field(keys, "PublicKeyId")+"/"+field(keys, "PublicKeyName")+"/"+field(keys, "UserId"), "1/1/laptop/1")
	if fp := field(keys, "FingerPrint"); len(fp) != 47 {
		t.Fatalf("FingerPrint %q", fp)
	}
	do(root, "DeleteUserPublicKey", p(I, "PublicKeyId", "1"))
	fail(root, "DeleteUserPublicKey", p(I, "PublicKeyId", "1"), 404, "OBJECT_NOT_FOUND")

	// LockUsers: Frozen, and no access while locked.
	res := list(do(root, "LockUsers", p(I, "UserIds", `["2","99","x"]`))["Results"])
	eq("LockUsers", field(res, "UserId")+"/"+field(res, "Code"), "2,99,x/OK,OBJECT_NOT_FOUND,INVALID_ARGUMENT")
	eq("locked again", field(list(do(root, "LockUsers", p(I, "UserIds", `["2"]`))["Results"]), "Code"), "OBJECT_AlREADY_EXISTS")
	eq("UserState", strs(do(root, "GetUser", p(I, "UserId", "2"))["User"].(map[string]any)["UserState"]), []string{"Frozen"})
	eq("locked user's hosts", do(user, "ListOperationHosts", p(I))["TotalCount"], "0")
	eq("UnlockUsers", field(list(do(root, "UnlockUsers", p(I, "UserIds", `["2"]`))["Results"]), "Code"), "OK")
	eq("unlocked user's hosts", do(user, "ListOperationHosts", p(I))["TotalCount"], "1")
	fail(root, "LockUsers", p(I, "UserIds", `[]`), 400, "InvalidParameter")

	// ModifyHostsPort.
	res = list(do(root, "ModifyHostsPort", p(I, "HostIds", `["1","7"]`, "ProtocolName", "SSH", "Port", "2222"))["Results"])
	eq("ModifyHostsPort", field(res, "HostId")+"/"+field(res, "Code"), "1,7/OK,OBJECT_NOT_FOUND")
	h := do(root, "GetHost", p(I, "HostId", "1"))["Host"].(map[string]any)
	eq("port", field(list(h["Protocols"]), "Port"), "2222")
	fail(root, "ModifyHostsPort", p(I, "HostIds", `["1"]`, "ProtocolName", "SSH", "Port", "21"), 400, "InvalidParameter")
	fail(root, "ModifyHostsPort", p(I, "HostIds", `["1"]`, "ProtocolName", "Telnet", "Port", "23"), 400, "InvalidParameter")
}
