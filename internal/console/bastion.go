package console

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// bastionPageSize is the objects per list call: Bastionhost's largest page.
const bastionPageSize = 100

// grantHostsPerPage bounds the hosts of one grant page: each costs one
// ListHostAccountsFor* call.
const grantHostsPerPage = 20

// bastionInstancesPage lists the account's bastion instances: one
// DescribeInstances call per page.
func (c *Console) bastionInstancesPage(v *visit) (string, any) {
	var out struct {
		TotalCount int
		Instances  []struct {
			InstanceID     string `json:"InstanceId"`
			InstanceStatus string
			RegionID       string `json:"RegionId"`
			Description    string
		}
	}
	page := pageNumber(v.r.URL.Query())
	params := url.Values{"PageSize": {strconv.Itoa(bastionPageSize)}, "PageNumber": {strconv.Itoa(page)}}
	c.call(v, bastionhostVersion, "DescribeInstances", params, &out)
	return "bastions", map[string]any{"Instances": out.Instances, "Total": out.TotalCount, "Page": page,
		"LastPage": lastPage(out.TotalCount, bastionPageSize)}
}

// bastionView is the data of one bastion instance's page.
type bastionView struct {
	Instance     string
	Users        []bastionUser
	UserGroups   []bastionGroup
	Hosts        []bastionHost
	HostAccounts []bastionHostAccount
	HostGroups   []bastionGroup
}

type bastionUser struct {
	UserID      string `json:"UserId"`
	UserName    string
	DisplayName string
	Source      string
	UserState   []string
}

type bastionGroup struct {
	UserGroupID   string `json:"UserGroupId"`
	UserGroupName string
	HostGroupID   string `json:"HostGroupId"`
	HostGroupName string
	Comment       string
	MemberCount   int
}

type bastionHost struct {
	HostID             string `json:"HostId"`
	HostName           string
	HostPrivateAddress string
	OSType             string
	HostAccountCount   int
}

type bastionHostAccount struct {
	HostAccountID   string `json:"HostAccountId"`
	HostAccountName string
	HostID          string `json:"HostId"`
	ProtocolName    string
	IsAuthorized    bool
}

// bastionPage shows one bastion instance's users, user groups, hosts,
// host accounts and host groups: one list call of each (the first 100 of
// each; the accounts of the first 100 hosts).
func (c *Console) bastionPage(v *visit) (string, any) {
	view := bastionView{Instance: v.r.PathValue("instance")}
	inst := url.Values{"InstanceId": {view.Instance}, "PageSize": {strconv.Itoa(bastionPageSize)}}
	var users struct{ Users []bastionUser }
	if c.call(v, bastionhostVersion, "ListUsers", inst, &users) != nil {
		return "bastion", view // the instance is not reachable: one error is enough
	}
	view.Users = users.Users
	var ug struct{ UserGroups []bastionGroup }
	c.call(v, bastionhostVersion, "ListUserGroups", inst, &ug)
	view.UserGroups = ug.UserGroups
	view.Hosts = c.listHosts(v, view.Instance)
	view.HostAccounts = c.listHostAccounts(v, view.Instance, view.Hosts)
	var hg struct{ HostGroups []bastionGroup }
	c.call(v, bastionhostVersion, "ListHostGroups", inst, &hg)
	view.HostGroups = hg.HostGroups
	return "bastion", view
}

// listHosts returns the first page of an instance's hosts.
func (c *Console) listHosts(v *visit, instance string) []bastionHost {
	var out struct{ Hosts []bastionHost }
	c.call(v, bastionhostVersion, "ListHosts", url.Values{"InstanceId": {instance}, "PageSize": {strconv.Itoa(bastionPageSize)}}, &out)
	return out.Hosts
}

// listHostAccounts returns the accounts of hosts (at most 100 hosts): one
// ListHostAccounts call with HostIds.
func (c *Console) listHostAccounts(v *visit, instance string, hosts []bastionHost) []bastionHostAccount {
	if len(hosts) == 0 {
		return nil
	}
	ids := make([]string, len(hosts))
	for i, h := range hosts {
		ids[i] = h.HostID
	}
	idsJSON, _ := json.Marshal(ids)
	var out struct{ HostAccounts []bastionHostAccount }
	c.call(v, bastionhostVersion, "ListHostAccounts", url.Values{"InstanceId": {instance}, "HostId": {ids[0]},
		"HostIds": {string(idsJSON)}, "PageSize": {strconv.Itoa(bastionPageSize)}}, &out)
	return out.HostAccounts
}

// grantee is the user or user group a grant page is about.
type grantee struct {
	Kind  string // "user" or "group"
	ID    string
	Label string // "user" or "user group", for the page
}

// suffix is the action-name suffix of the grantee's kind: the grant
// actions exist as ...User and ...UserGroup.
func (g grantee) suffix() string {
	if g.Kind == "user" {
		return "User"
	}
	return "UserGroup"
}

// param is the grantee's id parameter.
func (g grantee) param() string {
	if g.Kind == "user" {
		return "UserId"
	}
	return "UserGroupId"
}

// granteeOf reads the grantee from user=ID or group=ID.
func granteeOf(q url.Values) (grantee, bool) {
	if id := q.Get("user"); id != "" {
		return grantee{Kind: "user", ID: id, Label: "user"}, true
	}
	if id := q.Get("group"); id != "" {
		return grantee{Kind: "group", ID: id, Label: "user group"}, true
	}
	return grantee{}, false
}

// grantsView is the data of a grant page.
type grantsView struct {
	Instance   string
	Grantee    grantee
	Name       string
	Hosts      []grantedHost
	HostGroups []grantedHostGroup
	Page       int
	LastPage   int
	Members    []bastionUser        // of a user group
	Accounts   []bastionHostAccount // every account, for the attach form
	AllGroups  []bastionGroup       // every host group, for the attach form
	Effective  any                  // ExplainUserAccess, when served
}

type grantedHost struct {
	bastionHost
	Accounts []bastionHostAccount // of the host, IsAuthorized for the grantee
}

type grantedHostGroup struct {
	bastionGroup
	AccountNames []string // the granted account names; none: every account
}

// grantsPage is the grant graph of one user or user group: the hosts it
// is granted (with each host's accounts, granted or not), the host groups
// it is granted (with their account names), and for a user group its
// members; for a user the effective access through every path when the
// explain product is served. The hosts are paged (grantHostsPerPage), so
// the page costs a bounded number of calls.
func (c *Console) grantsPage(v *visit) (string, any) {
	q := v.r.URL.Query()
	view := grantsView{Instance: v.r.PathValue("instance"), Page: pageNumber(q)}
	g, ok := granteeOf(q)
	if !ok {
		v.Flashes = append(v.Flashes, flash{Error: true, Text: "Choose a user or a user group."})
		return "grants", view
	}
	view.Grantee = g
	if !c.granteeName(v, &view) {
		return "grants", view
	}
	base := url.Values{"InstanceId": {view.Instance}, g.param(): {g.ID}}
	c.grantedHosts(v, &view, base)
	c.grantedHostGroups(v, &view, base)
	if g.Kind == "group" {
		var m struct{ Users []bastionUser }
		c.call(v, bastionhostVersion, "ListUsers", url.Values{"InstanceId": {view.Instance}, "UserGroupId": {g.ID},
			"PageSize": {strconv.Itoa(bastionPageSize)}}, &m)
		view.Members = m.Users
	} else {
		view.Effective = c.optional(v, localyunVersion, "ExplainUserAccess",
			url.Values{"InstanceId": {view.Instance}, "UserId": {g.ID}})
	}
	view.Accounts = c.listHostAccounts(v, view.Instance, c.listHosts(v, view.Instance))
	var hg struct{ HostGroups []bastionGroup }
	c.call(v, bastionhostVersion, "ListHostGroups", url.Values{"InstanceId": {view.Instance},
		"PageSize": {strconv.Itoa(bastionPageSize)}}, &hg)
	view.AllGroups = hg.HostGroups
	return "grants", view
}

// granteeName reads the grantee's name (GetUser or GetUserGroup); false
// when it cannot be read (the error is on the page).
func (c *Console) granteeName(v *visit, view *grantsView) bool {
	g := view.Grantee
	var out struct {
		User      bastionUser
		UserGroup bastionGroup
	}
	params := url.Values{"InstanceId": {view.Instance}, g.param(): {g.ID}}
	if c.call(v, bastionhostVersion, "Get"+g.suffix(), params, &out) != nil {
		return false
	}
	view.Name = out.User.UserName + out.UserGroup.UserGroupName
	return true
}

// grantedHosts fills the hosts granted to the grantee (one page) and the
// accounts of each.
func (c *Console) grantedHosts(v *visit, view *grantsView, base url.Values) {
	g := view.Grantee
	params := clone(base)
	params.Set("PageSize", strconv.Itoa(grantHostsPerPage))
	params.Set("PageNumber", strconv.Itoa(view.Page))
	var hosts struct {
		TotalCount int
		Hosts      []bastionHost
	}
	if c.call(v, bastionhostVersion, "ListHostsFor"+g.suffix(), params, &hosts) != nil {
		return
	}
	view.LastPage = lastPage(hosts.TotalCount, grantHostsPerPage)
	for _, h := range hosts.Hosts {
		p := clone(base)
		p.Set("HostId", h.HostID)
		p.Set("PageSize", strconv.Itoa(bastionPageSize))
		var acc struct{ HostAccounts []bastionHostAccount }
		c.call(v, bastionhostVersion, "ListHostAccountsFor"+g.suffix(), p, &acc)
		view.Hosts = append(view.Hosts, grantedHost{bastionHost: h, Accounts: acc.HostAccounts})
	}
}

// grantedHostGroups fills the host groups granted to the grantee and the
// account names granted in each.
func (c *Console) grantedHostGroups(v *visit, view *grantsView, base url.Values) {
	g := view.Grantee
	params := clone(base)
	params.Set("PageSize", strconv.Itoa(bastionPageSize))
	var groups struct{ HostGroups []bastionGroup }
	if c.call(v, bastionhostVersion, "ListHostGroupsFor"+g.suffix(), params, &groups) != nil {
		return
	}
	for _, hg := range groups.HostGroups {
		p := clone(base)
		p.Set("HostGroupId", hg.HostGroupID)
		var names struct{ HostAccountNames []string }
		c.call(v, bastionhostVersion, "ListHostGroupAccountNamesFor"+g.suffix(), p, &names)
		view.HostGroups = append(view.HostGroups, grantedHostGroup{bastionGroup: hg, AccountNames: names.HostAccountNames})
	}
}

// changeGrant runs one grant form: attach or detach a host account, or a
// host group's accounts, for the page's user or user group.
func (c *Console) changeGrant(v *visit) (string, flash) {
	f := v.r.PostForm
	instance := v.r.PathValue("instance")
	g, ok := granteeOf(f)
	if !ok {
		return Root + "/bastion/" + url.PathEscape(instance), flash{Error: true, Text: "No user or user group."}
	}
	next := Root + "/bastion/" + url.PathEscape(instance) + "/grants?" + g.Kind + "=" + url.QueryEscape(g.ID)
	params := url.Values{"InstanceId": {instance}, g.param(): {g.ID}}
	var action string
	switch op := f.Get("op"); op {
	case "attach-account", "detach-account":
		host, account, _ := strings.Cut(f.Get("account"), "/")
		item := map[string]any{"HostId": host, "HostAccountIds": []string{account}}
		params.Set("Hosts", mustJSON([]any{item}))
		action = map[string]string{"attach-account": "AttachHostAccountsTo", "detach-account": "DetachHostAccountsFrom"}[op] + g.suffix()
	case "attach-hostgroup", "detach-hostgroup":
		item := map[string]any{"HostGroupId": f.Get("hostgroup")}
		if names := splitNames(f.Get("names")); len(names) > 0 {
			item["HostAccountNames"] = names
		}
		params.Set("HostGroups", mustJSON([]any{item}))
		action = map[string]string{"attach-hostgroup": "AttachHostGroupAccountsTo", "detach-hostgroup": "DetachHostGroupAccountsFrom"}[op] + g.suffix()
	default:
		return next, flash{Error: true, Text: "Unknown operation."}
	}
	var out struct{ Results []map[string]any }
	if err := c.call(v, bastionhostVersion, action, params, &out); err != nil {
		return next, v.Flashes[len(v.Flashes)-1]
	}
	if failed := failedResults(out.Results); failed != "" {
		return next, flash{Error: true, Text: action + ": " + failed}
	}
	return next, flash{Text: action + ": done."}
}

// failedResults describes every item of a grant action's Results whose
// Code is not OK (the item's own or one of its accounts'); "" when all
// succeeded.
func failedResults(results []map[string]any) string {
	var bad []string
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		if code, _ := m["Code"].(string); code != "" && code != "OK" {
			msg, _ := m["Message"].(string)
			bad = append(bad, code+" "+msg)
		}
		for _, key := range []string{"HostAccounts", "HostAccountNames"} {
			list, _ := m[key].([]any)
			for _, e := range list {
				if sub, ok := e.(map[string]any); ok {
					walk(sub)
				}
			}
		}
	}
	for _, r := range results {
		walk(r)
	}
	return strings.Join(bad, "; ")
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}
