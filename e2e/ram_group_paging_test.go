package e2e_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// TestListUsersForGroupPaging pages a group's members with Marker/MaxItems
// through the typed v1 client, in JSON and XML.
func TestListUsersForGroupPaging(t *testing.T) {
	e := newEnv(t)
	c := &ram.Client{Client: *e.v1Client(keyA, secretA)}
	cg := ram.CreateCreateGroupRequest()
	cg.Domain, cg.GroupName = e.Host, "devs"
	if _, err := c.CreateGroup(cg); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"carol", "Alice", "bob"} {
		cu := ram.CreateCreateUserRequest()
		cu.Domain, cu.UserName = e.Host, n
		if _, err := c.CreateUser(cu); err != nil {
			t.Fatal(err)
		}
		add := ram.CreateAddUserToGroupRequest()
		add.Domain, add.GroupName, add.UserName = e.Host, "devs", n
		if _, err := c.AddUserToGroup(add); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{"JSON", "XML"} {
		var got []string
		marker := ""
		for page := 0; page < 5; page++ {
			req := ram.CreateListUsersForGroupRequest()
			req.Domain, req.AcceptFormat, req.GroupName, req.MaxItems, req.Marker = e.Host, format, "devs", "2", marker
			resp, err := c.ListUsersForGroup(req)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range resp.Users.User {
				got = append(got, u.UserName)
			}
			if !resp.IsTruncated {
				if resp.Marker != "" {
					t.Fatalf("%s: marker %q on the last page", format, resp.Marker)
				}
				break
			}
			if len(resp.Users.User) != 2 || resp.Marker == "" {
				t.Fatalf("%s: truncated page %+v", format, resp)
			}
			marker = resp.Marker
		}
		if len(got) != 3 || got[0] != "Alice" || got[1] != "bob" || got[2] != "carol" {
			t.Fatalf("%s: members %v, want [Alice bob carol]", format, got)
		}
	}
	bad := ram.CreateListUsersForGroupRequest()
	bad.Domain, bad.GroupName, bad.Marker = e.Host, "devs", "%%%"
	_, err := c.ListUsersForGroup(bad)
	serverError(t, err, "InvalidParameter.Marker", 400)
}
