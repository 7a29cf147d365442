package metadata

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/localyun/localyun"
)

// item is a node of the meta-data tree: a leaf with a value, or a
// directory whose listing names its children (directories with a
// trailing "/"). A leaf whose value is "" for an instance (vpc-id of a
// classic-network instance) is absent for it: 404, and not listed.
type item struct {
	name     string
	value    func(in localyun.Instance) string // nil for a directory
	children []item
}

// metaData is /latest/meta-data/: the items localyun derives from the
// instance, in listing order. ram/security-credentials/ is served apart
// (the role's name and its credentials).
var metaData = item{children: []item{
	{name: "hostname", value: func(in localyun.Instance) string { return in.HostName }},
	{name: "image-id", value: func(in localyun.Instance) string { return in.ImageID }},
	{name: "instance", children: []item{
		{name: "instance-name", value: func(in localyun.Instance) string { return in.Name }},
		{name: "instance-type", value: func(in localyun.Instance) string { return in.InstanceType }},
	}},
	{name: "instance-id", value: func(in localyun.Instance) string { return in.ID }},
	{name: "mac", value: func(in localyun.Instance) string { return MAC(in.ID) }},
	{name: "network-type", value: func(in localyun.Instance) string { return in.NetworkType }},
	{name: "owner-account-id", value: func(in localyun.Instance) string { return in.AccountID }},
	{name: "private-ipv4", value: func(in localyun.Instance) string { return in.PrivateIP }},
	{name: "ram", children: []item{{name: "security-credentials"}}},
	{name: "region-id", value: func(in localyun.Instance) string { return in.RegionID }},
	{name: "serial-number", value: func(in localyun.Instance) string { return SerialNumber(in.ID) }},
	{name: "vpc-id", value: func(in localyun.Instance) string { return in.VpcID }},
	{name: "vswitch-id", value: func(in localyun.Instance) string { return in.VSwitchID }},
	{name: "zone-id", value: func(in localyun.Instance) string { return in.ZoneID }},
}}

// find returns the item at the slash-separated path p below it.
func (it *item) find(p string) (*item, bool) {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" {
			continue // "a//b" and a trailing "/" name what "a/b" names
		}
		if it.value != nil {
			return nil, false
		}
		var next *item
		for i := range it.children {
			if it.children[i].name == seg {
				next = &it.children[i]
				break
			}
		}
		if next == nil {
			return nil, false
		}
		it = next
	}
	return it, true
}

// listing returns the names of it's children present for in, one a line,
// directories with a trailing "/".
func (it *item) listing(in localyun.Instance) string {
	var b strings.Builder
	for _, c := range it.children {
		if c.value != nil && c.value(in) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(c.name)
		if c.value == nil {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// MAC returns the MAC address localyun gives the primary network interface
// of the instance id: stable, in Alibaba Cloud's OUI 00:16:3e, the rest
// taken from a hash of the id.
func MAC(id string) string {
	h := sha256.Sum256([]byte("mac\x00" + id))
	return fmt.Sprintf("00:16:3e:%02x:%02x:%02x", h[0], h[1], h[2])
}

// SerialNumber returns the serial number localyun gives the instance id: a
// stable UUID (version 4 layout) taken from a hash of the id.
func SerialNumber(id string) string {
	h := sha256.Sum256([]byte("serial\x00" + id))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
