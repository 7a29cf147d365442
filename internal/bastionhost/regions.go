package bastionhost

import "regexp"

// region is a region where Bastionhost is offered.
type region struct {
	ID, ZH, EN string
}

// regions lists the Bastionhost regions; mainland China regions share the
// central endpoint.
var regions = []region{
	{"cn-hangzhou", "华东1（杭州）", "China (Hangzhou)"},
	{"cn-shanghai", "华东2（上海）", "China (Shanghai)"},
	{"cn-qingdao", "华北1（青岛）", "China (Qingdao)"},
	{"cn-beijing", "华北2（北京）", "China (Beijing)"},
	{"cn-zhangjiakou", "华北3（张家口）", "China (Zhangjiakou)"},
	{"cn-huhehaote", "华北5（呼和浩特）", "China (Hohhot)"},
	{"cn-shenzhen", "华南1（深圳）", "China (Shenzhen)"},
	{"cn-chengdu", "西南1（成都）", "China (Chengdu)"},
	{"cn-hongkong", "中国香港", "China (Hong Kong)"},
	{"ap-southeast-1", "新加坡", "Singapore"},
	{"ap-southeast-3", "马来西亚（吉隆坡）", "Malaysia (Kuala Lumpur)"},
	{"ap-southeast-5", "印度尼西亚（雅加达）", "Indonesia (Jakarta)"},
	{"ap-northeast-1", "日本（东京）", "Japan (Tokyo)"},
	{"eu-central-1", "德国（法兰克福）", "Germany (Frankfurt)"},
	{"eu-west-1", "英国（伦敦）", "UK (London)"},
	{"us-west-1", "美国（硅谷）", "US (Silicon Valley)"},
	{"us-east-1", "美国（弗吉尼亚）", "US (Virginia)"},
}

func endpointOf(id string) string {
	if len(id) > 3 && id[:3] == "cn-" && id != "cn-hongkong" {
		return "yundun-bastionhost.aliyuncs.com"
	}
	return "bastionhost." + id + ".aliyuncs.com"
}

// KnownRegion reports whether id is a Bastionhost region.
func KnownRegion(id string) bool {
	for _, r := range regions {
		if r.ID == id {
			return true
		}
	}
	return false
}

// regionIDRE is the shape of an Alibaba Cloud region id (cn-hangzhou,
// ap-southeast-1, cn-shanghai-finance-1).
var regionIDRE = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+)+$`)
