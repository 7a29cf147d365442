package ecs

// region is one ECS region with its local names.
type region struct {
	ID, Endpoint, ZH, EN, JA string
}

// regions is the public ECS region list (RegionId, endpoint, local names).
var regions = []region{
	{"cn-qingdao", "ecs.cn-qingdao.aliyuncs.com", "华北1（青岛）", "China (Qingdao)", "中国 (青島)"},
	{"cn-beijing", "ecs.cn-beijing.aliyuncs.com", "华北2（北京）", "China (Beijing)", "中国 (北京)"},
	{"cn-zhangjiakou", "ecs.cn-zhangjiakou.aliyuncs.com", "华北3（张家口）", "China (Zhangjiakou)", "中国 (張家口)"},
	{"cn-huhehaote", "ecs.cn-huhehaote.aliyuncs.com", "华北5（呼和浩特）", "China (Hohhot)", "中国 (フフホト)"},
	{"cn-wulanchabu", "ecs.cn-wulanchabu.aliyuncs.com", "华北6（乌兰察布）", "China (Ulanqab)", "中国 (ウランチャブ)"},
	{"cn-hangzhou", "ecs.cn-hangzhou.aliyuncs.com", "华东1（杭州）", "China (Hangzhou)", "中国 (杭州)"},
	{"cn-shanghai", "ecs.cn-shanghai.aliyuncs.com", "华东2（上海）", "China (Shanghai)", "中国 (上海)"},
	{"cn-nanjing", "ecs.cn-nanjing.aliyuncs.com", "华东5（南京-本地地域）", "China (Nanjing - Local Region)", "中国 (南京 - ローカルリージョン)"},
	{"cn-fuzhou", "ecs.cn-fuzhou.aliyuncs.com", "华东6（福州-本地地域）", "China (Fuzhou - Local Region)", "中国 (福州 - ローカルリージョン)"},
	{"cn-shenzhen", "ecs.cn-shenzhen.aliyuncs.com", "华南1（深圳）", "China (Shenzhen)", "中国 (深圳)"},
	{"cn-heyuan", "ecs.cn-heyuan.aliyuncs.com", "华南2（河源）", "China (Heyuan)", "中国 (河源)"},
	{"cn-guangzhou", "ecs.cn-guangzhou.aliyuncs.com", "华南3（广州）", "China (Guangzhou)", "中国 (広州)"},
	{"cn-chengdu", "ecs.cn-chengdu.aliyuncs.com", "西南1（成都）", "China (Chengdu)", "中国 (成都)"},
	{"cn-hongkong", "ecs.cn-hongkong.aliyuncs.com", "中国香港", "China (Hong Kong)", "中国 (香港)"},
	{"ap-northeast-1", "ecs.ap-northeast-1.aliyuncs.com", "日本（东京）", "Japan (Tokyo)", "日本 (東京)"},
	{"ap-northeast-2", "ecs.ap-northeast-2.aliyuncs.com", "韩国（首尔）", "South Korea (Seoul)", "韓国 (ソウル)"},
	{"ap-southeast-1", "ecs.ap-southeast-1.aliyuncs.com", "新加坡", "Singapore", "シンガポール"},
	{"ap-southeast-3", "ecs.ap-southeast-3.aliyuncs.com", "马来西亚（吉隆坡）", "Malaysia (Kuala Lumpur)", "マレーシア (クアラルンプール)"},
	{"ap-southeast-5", "ecs.ap-southeast-5.aliyuncs.com", "印度尼西亚（雅加达）", "Indonesia (Jakarta)", "インドネシア (ジャカルタ)"},
	{"ap-southeast-6", "ecs.ap-southeast-6.aliyuncs.com", "菲律宾（马尼拉）", "Philippines (Manila)", "フィリピン (マニラ)"},
	{"ap-southeast-7", "ecs.ap-southeast-7.aliyuncs.com", "泰国（曼谷）", "Thailand (Bangkok)", "タイ (バンコク)"},
	{"us-east-1", "ecs.us-east-1.aliyuncs.com", "美国（弗吉尼亚）", "US (Virginia)", "米国 (バージニア)"},
	{"us-west-1", "ecs.us-west-1.aliyuncs.com", "美国（硅谷）", "US (Silicon Valley)", "米国 (シリコンバレー)"},
	{"eu-west-1", "ecs.eu-west-1.aliyuncs.com", "英国（伦敦）", "UK (London)", "イギリス (ロンドン)"},
	{"eu-central-1", "ecs.eu-central-1.aliyuncs.com", "德国（法兰克福）", "Germany (Frankfurt)", "ドイツ (フランクフルト)"},
	{"me-east-1", "ecs.me-east-1.aliyuncs.com", "阿联酋（迪拜）", "UAE (Dubai)", "UAE (ドバイ)"},
	{"me-central-1", "ecs.me-central-1.aliyuncs.com", "沙特（利雅得)", "Saudi Arabia (Riyadh)", "サウジアラビア (リヤド)"},
	{"na-south-1", "ecs.na-south-1.aliyuncs.com", "墨西哥", "Mexico", "メキシコ"},
}

var regionByID = func() map[string]region {
	m := make(map[string]region, len(regions))
	for _, r := range regions {
		m[r.ID] = r
	}
	return m
}()

// RegionIDs returns the ids of the ECS regions.
func RegionIDs() []string {
	ids := make([]string, len(regions))
	for i, r := range regions {
		ids[i] = r.ID
	}
	return ids
}

// KnownRegion reports whether id is an ECS region.
func KnownRegion(id string) bool {
	_, ok := regionByID[id]
	return ok
}
