package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

func TestRoleLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			name := "App.Role-" + tr
			start := time.Now().UTC().Add(-time.Second)
			cr, err := call(t, a, tr, ram.CreateCreateRoleRequest, ram.CreateCreateRoleResponse, P{"RoleName": name,
				"AssumeRolePolicyDocument": ecsTrust, "Description": "first"})
			if err != nil {
				t.Fatal(err)
			}
			r := cr.Role
			created, err := time.Parse("2006-01-02T15:04:05Z", r.CreateDate)
			if err != nil || created.Before(start.Truncate(time.Second)) || r.RoleName != name || r.Arn != "acs:ram::"+accountA+":role/"+name ||
				r.RoleId == "" || r.Description != "first" || r.MaxSessionDuration != 3600 || r.AssumeRolePolicyDocument != ecsTrust || r.UpdateDate != "" {
				t.Fatalf("CreateRole %+v (%v)", r, err)
			}

			// Lookups ignore case and return the stored case (R1).
			gr, err := call(t, a, tr, ram.CreateGetRoleRequest, ram.CreateGetRoleResponse, P{"RoleName": strings.ToLower(name)})
			if err != nil {
				t.Fatal(err)
			}
			want := r
			want.UpdateDate = r.CreateDate
			same(t, "GetRole", gr.Role, want)

			ur, err := call(t, a, tr, ram.CreateUpdateRoleRequest, ram.CreateUpdateRoleResponse, P{"RoleName": name,
				"NewDescription": "second", "NewMaxSessionDuration": "7200", "NewAssumeRolePolicyDocument": fcTrust})
			if err != nil {
				t.Fatal(err)
			}
			if u := ur.Role; u.Description != "second" || u.MaxSessionDuration != 7200 || u.AssumeRolePolicyDocument != fcTrust ||
				u.RoleId != r.RoleId || u.CreateDate != r.CreateDate || u.UpdateDate == "" || u.RoleName != name {
				t.Fatalf("UpdateRole %+v", u)
			}
			// Only the fields sent change.
			ur, err = call(t, a, tr, ram.CreateUpdateRoleRequest, ram.CreateUpdateRoleResponse, P{"RoleName": name, "NewDescription": "third"})
			if err != nil || ur.Role.Description != "third" || ur.Role.MaxSessionDuration != 7200 || ur.Role.AssumeRolePolicyDocument != fcTrust {
				t.Fatalf("partial UpdateRole %+v, %v", ur, err)
			}
			gr, err = call(t, a, tr, ram.CreateGetRoleRequest, ram.CreateGetRoleResponse, P{"RoleName": name})
			if err != nil {
				t.Fatal(err)
			}
			same(t, "GetRole after UpdateRole", gr.Role, ur.Role)

			// Another account does not see the role.
			_, err = call(t, e.as(keyB, secretB), tr, ram.CreateGetRoleRequest, ram.CreateGetRoleResponse, P{"RoleName": name})
			apiError(t, tr, err, "EntityNotExist.Role", 404)

			if _, err := call(t, a, tr, ram.CreateDeleteRoleRequest, ram.CreateDeleteRoleResponse, P{"RoleName": strings.ToUpper(name)}); err != nil {
				t.Fatal(err)
			}
			_, err = call(t, a, tr, ram.CreateGetRoleRequest, ram.CreateGetRoleResponse, P{"RoleName": name})
			apiError(t, tr, err, "EntityNotExist.Role", 404)
		})
	}
}

func TestListRoles(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	// Mixed case: the order and the markers ignore case.
	names := []string{"alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf"}
	for _, n := range []string{"golf", "Delta", "alpha", "Foxtrot", "charlie", "echo", "Bravo"} {
		if _, err := call(t, a, "JSON", ram.CreateCreateRoleRequest, ram.CreateCreateRoleResponse,
			P{"RoleName": n, "AssumeRolePolicyDocument": ecsTrust, "Description": "d-" + n}); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRole(accountB, "zulu", ecsTrust)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			for _, max := range []int{1, 3, 7, 100} {
				var got []string
				marker := ""
				for page := 0; ; page++ {
					params := P{"MaxItems": fmt.Sprint(max)}
					if max == 100 {
						params = P{} // default MaxItems
					}
					if marker != "" {
						params["Marker"] = marker
					}
					res, err := call(t, a, tr, ram.CreateListRolesRequest, ram.CreateListRolesResponse, params)
					if err != nil {
						t.Fatal(err)
					}
					if page > len(names) || len(res.Roles.Role) > max {
						t.Fatalf("MaxItems %d: page %d has %d roles", max, page, len(res.Roles.Role))
					}
					for _, r := range res.Roles.Role {
						if r.AssumeRolePolicyDocument != "" || r.Arn != "acs:ram::"+accountA+":role/"+r.RoleName ||
							r.Description != "d-"+r.RoleName || r.RoleId == "" || r.CreateDate == "" || r.UpdateDate == "" || r.MaxSessionDuration != 3600 {
							t.Fatalf("item %+v", r)
						}
						got = append(got, r.RoleName)
					}
					if res.IsTruncated != (res.Marker != "") {
						t.Fatalf("IsTruncated %v with Marker %q", res.IsTruncated, res.Marker)
					}
					if !res.IsTruncated {
						break
					}
					marker = res.Marker
				}
				if fmt.Sprint(got) != fmt.Sprint(names) {
					t.Fatalf("MaxItems %d: listed %v, want %v", max, got, names)
				}
			}
			for _, p := range []P{{"MaxItems": "0"}, {"MaxItems": "1001"}, {"MaxItems": "x"}} {
				_, err := call(t, a, tr, ram.CreateListRolesRequest, ram.CreateListRolesResponse, p)
				apiError(t, tr, err, "InvalidParameter.MaxItems", 400)
			}
			_, err := call(t, a, tr, ram.CreateListRolesRequest, ram.CreateListRolesResponse, P{"Marker": "%%%not-a-marker"})
			apiError(t, tr, err, "InvalidParameter.Marker", 400)
		})
	}
}

func TestRoleErrors(t *testing.T) {
	e := newEnv(t)
	a := e.as(keyA, secretA)
	if _, err := call(t, a, "JSON", ram.CreateCreateRoleRequest, ram.CreateCreateRoleResponse,
		P{"RoleName": "Existing", "AssumeRolePolicyDocument": ecsTrust}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("r", 65)
	noVersion := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`
	type action int
	const (
		create action = iota
		get
		update
		del
	)
	tests := []struct {
		name    string
		actions []action
		params  P
		code    string
		status  int
	}{
		{"exists", []action{create}, P{"RoleName": "Existing", "AssumeRolePolicyDocument": ecsTrust}, "EntityAlreadyExists.Role", 409},
		{"exists in another case", []action{create}, P{"RoleName": "EXISTING", "AssumeRolePolicyDocument": ecsTrust}, "EntityAlreadyExists.Role", 409},
		{"not exist", []action{get, update, del}, P{"RoleName": "Nope", "NewDescription": "x"}, "EntityNotExist.Role", 404},
		{"RoleName missing", []action{create, get, update, del}, P{"AssumeRolePolicyDocument": ecsTrust, "NewDescription": "x"}, "MissingRoleName", 400},
		{"RoleName too long", []action{create, get, update, del}, P{"RoleName": long, "AssumeRolePolicyDocument": ecsTrust, "NewDescription": "x"}, "InvalidParameter.RoleName.Length", 400},
		{"RoleName chars", []action{create, get, update, del}, P{"RoleName": "bad_name", "AssumeRolePolicyDocument": ecsTrust, "NewDescription": "x"}, "InvalidParameter.RoleName.InvalidChars", 400},
		{"RoleName with a space", []action{create, get, update, del}, P{"RoleName": "bad name", "AssumeRolePolicyDocument": ecsTrust, "NewDescription": "x"}, "InvalidParameter.RoleName.InvalidChars", 400},
		{"policy missing", []action{create}, P{"RoleName": "New"}, "MissingAssumeRolePolicyDocument", 400},
		{"policy malformed", []action{create}, P{"RoleName": "New", "AssumeRolePolicyDocument": "{not json"}, "MalformedPolicyDocument", 400},
		{"policy without Version", []action{create}, P{"RoleName": "New", "AssumeRolePolicyDocument": noVersion}, "MalformedPolicyDocument", 400},
		{"new policy malformed", []action{update}, P{"RoleName": "Existing", "NewAssumeRolePolicyDocument": `{"Version":"1","Statement":[]}`}, "MalformedPolicyDocument", 400},
		{"policy too long", []action{create}, P{"RoleName": "New", "AssumeRolePolicyDocument": strings.Replace(ecsTrust, "sts:AssumeRole", strings.Repeat("x", 2048), 1)}, "InvalidParameter.AssumeRolePolicyDocument.Length", 400},
		{"new policy too long", []action{update}, P{"RoleName": "Existing", "NewAssumeRolePolicyDocument": strings.Replace(ecsTrust, "sts:AssumeRole", strings.Repeat("x", 2048), 1)}, "InvalidParameter.NewAssumeRolePolicyDocument.Length", 400},
		{"description too long", []action{create}, P{"RoleName": "New", "AssumeRolePolicyDocument": ecsTrust, "Description": strings.Repeat("d", 1025)}, "InvalidParameter.Description.Length", 400},
		{"new description too long", []action{update}, P{"RoleName": "Existing", "NewDescription": strings.Repeat("d", 1025)}, "InvalidParameter.NewDescription.Length", 400},
		{"max session too small", []action{create}, P{"RoleName": "New", "AssumeRolePolicyDocument": ecsTrust, "MaxSessionDuration": "3599"}, "InvalidParameter.MaxSessionDuration", 400},
		{"new max session too large", []action{update}, P{"RoleName": "Existing", "NewMaxSessionDuration": "43201"}, "InvalidParameter.NewMaxSessionDuration", 400},
	}
	for _, tt := range tests {
		for _, act := range tt.actions {
			for _, tr := range transports {
				name := []string{"Create", "Get", "Update", "Delete"}[act]
				t.Run(tt.name+"/"+name+"/"+tr, func(t *testing.T) {
					params := P{}
					for k, v := range tt.params {
						keep := map[action][]string{create: {"RoleName", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration"},
							get: {"RoleName"}, del: {"RoleName"},
							update: {"RoleName", "NewAssumeRolePolicyDocument", "NewDescription", "NewMaxSessionDuration"}}[act]
						for _, kk := range keep {
							if k == kk {
								params[k] = v
							}
						}
					}
					before := e.state(accountA)
					var err error
					switch act {
					case create:
						_, err = call(t, a, tr, ram.CreateCreateRoleRequest, ram.CreateCreateRoleResponse, params)
					case get:
						_, err = call(t, a, tr, ram.CreateGetRoleRequest, ram.CreateGetRoleResponse, params)
					case update:
						_, err = call(t, a, tr, ram.CreateUpdateRoleRequest, ram.CreateUpdateRoleResponse, params)
					case del:
						_, err = call(t, a, tr, ram.CreateDeleteRoleRequest, ram.CreateDeleteRoleResponse, params)
					}
					apiError(t, tr, err, tt.code, tt.status)
					if e.state(accountA) != before {
						t.Fatal("a rejected request changed state")
					}
				})
			}
		}
	}
	// The MalformedPolicyDocument message names the problem (R4).
	_, err := call(t, a, "JSON", ram.CreateCreateRoleRequest, ram.CreateCreateRoleResponse, P{"RoleName": "New", "AssumeRolePolicyDocument": noVersion})
	if err == nil || !strings.Contains(err.Error(), `Version must be \"1\"`) && !strings.Contains(err.Error(), `Version must be "1"`) {
		t.Fatalf("message does not name the problem: %v", err)
	}
}
