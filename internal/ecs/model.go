package ecs

import (
	"strconv"
	"strings"
)

// The facts of an instance localyun derives rather than models: its vCPUs
// and memory from the instance type, its operating system from the image
// id. See docs/compatibility.md for the rules.

// vcpusBySize are the vCPUs of the common instance type sizes.
var vcpusBySize = map[string]int{
	"nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4,
	"2xlarge": 8, "3xlarge": 12, "4xlarge": 16, "6xlarge": 24, "8xlarge": 32, "10xlarge": 40,
	"12xlarge": 48, "13xlarge": 52, "16xlarge": 64, "20xlarge": 80, "22xlarge": 88, "24xlarge": 96,
	"26xlarge": 104, "32xlarge": 128, "48xlarge": 192, "64xlarge": 256,
}

// Defaults for what the table does not know: 2 vCPUs and the
// general-purpose ratio of 4 GiB per vCPU.
const (
	defaultVCPUs     = 2
	defaultMiBPerCPU = 4096
)

// InstanceTypeFamily is the family of an instance type: the type up to its
// last period ("ecs.g7" of "ecs.g7.large"), "" for a type without one.
func InstanceTypeFamily(instanceType string) string {
	i := strings.LastIndexByte(instanceType, '.')
	if i < 0 {
		return ""
	}
	return instanceType[:i]
}

// InstanceShape returns the vCPUs and memory (MiB) of an instance type
// ecs.<family>.<size>: vCPUs from the size (nano, small, large, xlarge,
// <n>xlarge, ...), memory from the family's ratio: c (compute) 2 GiB per
// vCPU, g (general) 4, r (memory) 8, and the explicit c<x>m<y> of the
// shared and burstable families (ecs.t6-c1m2, ecs.t5-lc1m2: 2 GiB per
// vCPU). A size the table lacks counts as 2 vCPUs, a family it
// lacks as 4 GiB per vCPU; nano and micro types get 512 and 1024 MiB.
func InstanceShape(instanceType string) (vcpus, memoryMiB int) {
	family := InstanceTypeFamily(instanceType)
	size := strings.TrimPrefix(instanceType[len(family):], ".")
	vcpus, ok := vcpusBySize[size]
	if !ok {
		vcpus = defaultVCPUs
	}
	switch size {
	case "nano":
		return 1, 512
	case "micro":
		return 1, 1024
	}
	return vcpus, vcpus * mibPerVCPU(strings.TrimPrefix(family, "ecs."))
}

// mibPerVCPU is the memory per vCPU of a family (without "ecs.").
func mibPerVCPU(family string) int {
	if i := strings.LastIndexByte(family, '-'); i >= 0 {
		// ecs.t6-c1m2, ecs.s6-c1m4, ecs.t5-lc1m2: "c<x>m<y>" is y GiB per x vCPUs.
		spec := strings.TrimPrefix(family[i+1:], "l")
		if c, m, ok := strings.Cut(strings.TrimPrefix(spec, "c"), "m"); ok && strings.HasPrefix(spec, "c") {
			cn, err1 := strconv.Atoi(c)
			mn, err2 := strconv.Atoi(m)
			if err1 == nil && err2 == nil && cn > 0 && mn > 0 {
				return mn * 1024 / cn
			}
		}
	}
	switch {
	case strings.HasPrefix(family, "hfc"), strings.HasPrefix(family, "c"), strings.HasPrefix(family, "ic"):
		return 2048
	case strings.HasPrefix(family, "hfr"), strings.HasPrefix(family, "r"), strings.HasPrefix(family, "re"):
		return 8192
	}
	return defaultMiBPerCPU
}

// OS types ECS reports.
const (
	osLinux   = "linux"
	osWindows = "windows"
)

// ImageOS returns the operating system of an image id as ECS names it: the
// type (windows for ids starting with "win", else linux) and the Chinese
// and English names (e.g. ubuntu_22_04_x64_20G_alibase_20230208.vhd is
// "Ubuntu  22.04 64位" and "Ubuntu 22.04 64 bit"). An id localyun cannot
// read names the distribution it starts with.
func ImageOS(imageID string) (osType, name, nameEn string) {
	id := strings.ToLower(imageID)
	parts := strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' })
	if len(parts) == 0 {
		return osLinux, "Linux 64位", "Linux 64 bit"
	}
	distro := parts[0]
	var version []string
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(version) == 2 {
			break
		}
		version = append(version, p)
	}
	v := strings.Join(version, ".")
	if strings.HasPrefix(distro, "win") {
		year := strings.TrimPrefix(distro, "win")
		return osWindows, "Windows Server  " + year + " 64位", "Windows Server " + year + " 64 bit"
	}
	pretty := map[string]string{"ubuntu": "Ubuntu", "centos": "CentOS", "debian": "Debian", "aliyun": "Alibaba Cloud Linux",
		"alinux": "Alibaba Cloud Linux", "anolisos": "Anolis OS", "rockylinux": "Rocky Linux", "almalinux": "AlmaLinux",
		"opensuse": "OpenSUSE", "suse": "SUSE Linux", "fedora": "Fedora", "rhel": "Red Hat Enterprise Linux"}[distro]
	if pretty == "" {
		pretty = strings.ToUpper(distro[:1]) + distro[1:]
	}
	return osLinux, strings.TrimSpace(pretty + "  " + v + " 64位"), strings.TrimSpace(pretty + " " + v + " 64 bit")
}
