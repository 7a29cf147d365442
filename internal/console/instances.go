package console

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
)

// instancePageSize is the instances per page: DescribeInstanceRamRole's
// largest page, so one call gives the roles of a whole page.
const instancePageSize = 50

// defaultRegion is the region shown first (the SDKs' usual default).
const defaultRegion = "cn-hangzhou"

// instancesView is the data of the instances page.
type instancesView struct {
	Regions  []string
	Region   string
	Total    int
	Page     int
	LastPage int
	Rows     []instanceRow
	Roles    []string // the account's RAM roles, for the attach form
}

type instanceRow struct {
	ID, Name, Status, Role string
}

// instancesPage lists the instances of a region with their RAM roles and
// the attach/detach forms: DescribeRegions, DescribeInstances (one page),
// DescribeInstanceRamRole for that page's ids and ListRoles, four calls
// whatever the number of instances.
func (c *Console) instancesPage(v *visit) (string, any) {
	q := v.r.URL.Query()
	view := instancesView{Region: q.Get("region"), Page: pageNumber(q)}
	var regions struct {
		Regions struct {
			Region []struct {
				RegionID string `json:"RegionId"`
			}
		}
	}
	if c.call(v, ecsVersion, "DescribeRegions", url.Values{}, &regions) == nil {
		for _, r := range regions.Regions.Region {
			view.Regions = append(view.Regions, r.RegionID)
		}
	}
	if view.Region == "" {
		view.Region = defaultRegion
		if len(view.Regions) > 0 && !slices.Contains(view.Regions, defaultRegion) {
			view.Region = view.Regions[0]
		}
	}
	var insts struct {
		TotalCount int
		Instances  struct {
			Instance []struct {
				InstanceID   string `json:"InstanceId"`
				InstanceName string
				Status       string
			}
		}
	}
	params := url.Values{"RegionId": {view.Region}, "PageSize": {strconv.Itoa(instancePageSize)},
		"PageNumber": {strconv.Itoa(view.Page)}}
	if c.call(v, ecsVersion, "DescribeInstances", params, &insts) != nil {
		return "instances", view
	}
	view.Total, view.LastPage = insts.TotalCount, lastPage(insts.TotalCount, instancePageSize)
	var ids []string
	for _, in := range insts.Instances.Instance {
		ids = append(ids, in.InstanceID)
		view.Rows = append(view.Rows, instanceRow{ID: in.InstanceID, Name: in.InstanceName, Status: in.Status})
	}
	if len(ids) > 0 {
		roles := c.rolesOf(v, view.Region, ids)
		for i := range view.Rows {
			view.Rows[i].Role = roles[view.Rows[i].ID]
		}
	}
	var list struct {
		Roles struct{ Role []struct{ RoleName string } }
	}
	if c.call(v, ramVersion, "ListRoles", url.Values{"MaxItems": {"1000"}}, &list) == nil {
		for _, r := range list.Roles.Role {
			view.Roles = append(view.Roles, r.RoleName)
		}
	}
	return "instances", view
}

// rolesOf returns the RAM role of each instance of ids (at most a page):
// one DescribeInstanceRamRole call.
func (c *Console) rolesOf(v *visit, region string, ids []string) map[string]string {
	idsJSON, _ := json.Marshal(ids)
	var out struct {
		InstanceRAMRoleSets struct {
			InstanceRAMRoleSet []struct {
				InstanceID  string `json:"InstanceId"`
				RAMRoleName string `json:"RamRoleName"`
			} `json:"InstanceRamRoleSet"`
		} `json:"InstanceRamRoleSets"`
	}
	roles := map[string]string{}
	params := url.Values{"RegionId": {region}, "InstanceIds": {string(idsJSON)}, "PageSize": {strconv.Itoa(instancePageSize)}}
	if c.call(v, ecsVersion, "DescribeInstanceRamRole", params, &out) == nil {
		for _, s := range out.InstanceRAMRoleSets.InstanceRAMRoleSet {
			roles[s.InstanceID] = s.RAMRoleName
		}
	}
	return roles
}

// roleResult is the part of Attach/DetachInstanceRamRole's answer the
// console shows: the per-instance outcome.
type roleResult struct {
	Code, Message string
	Success       bool
}

// attachRole runs AttachInstanceRamRole for one instance from the form.
func (c *Console) attachRole(v *visit) (string, flash) {
	return c.changeRole(v, "AttachInstanceRamRole", "AttachInstanceRamRoleResults", "AttachInstanceRamRoleResult")
}

// detachRole runs DetachInstanceRamRole for one instance from the form.
func (c *Console) detachRole(v *visit) (string, flash) {
	return c.changeRole(v, "DetachInstanceRamRole", "DetachInstanceRamRoleResults", "DetachInstanceRamRoleResult")
}

func (c *Console) changeRole(v *visit, action, resultsKey, resultKey string) (string, flash) {
	f := v.r.PostForm
	region, id, role := f.Get("region"), f.Get("instance"), f.Get("role")
	next := Root + "/instances?region=" + url.QueryEscape(region)
	idsJSON, _ := json.Marshal([]string{id})
	params := url.Values{"RegionId": {region}, "InstanceIds": {string(idsJSON)}}
	if role != "" {
		params.Set("RamRoleName", role)
	}
	var raw map[string]json.RawMessage
	if err := c.call(v, ecsVersion, action, params, &raw); err != nil {
		return next, v.Flashes[len(v.Flashes)-1]
	}
	var results map[string][]roleResult
	json.Unmarshal(raw[resultsKey], &results) // absent or unreadable: no per-item failure to show
	for _, r := range results[resultKey] {
		if !r.Success {
			return next, flash{Error: true, Text: action + " " + id + ": " + r.Code + ": " + r.Message}
		}
	}
	return next, flash{Text: action + " " + id + " (" + role + "): done."}
}

// pageNumber reads the page query parameter (1 by default).
func pageNumber(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 || n > 1_000_000 {
		return 1
	}
	return n
}

// lastPage is the number of pages of total items.
func lastPage(total, size int) int {
	if total <= 0 {
		return 1
	}
	return (total + size - 1) / size
}
