package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/ecs"
	"github.com/localyun/localyun/internal/ram"
	"github.com/localyun/localyun/internal/server"
)

// Seed is the world a seed file declares. What it declares is created when
// absent; what exists is left as the API last left it.
type Seed struct {
	Accounts []SeedAccount `yaml:"accounts"`
}

// SeedAccount is one account of a seed file.
type SeedAccount struct {
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	AccessKeys  []SeedAccessKey `yaml:"access_keys"`
	RAM         SeedRAM         `yaml:"ram"`
	ECS         SeedECS         `yaml:"ecs"`
	Bastionhost SeedBastionhost `yaml:"bastionhost"`
}

// SeedAccessKey is a root access key of an account.
type SeedAccessKey struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
	Status string `yaml:"status"` // Active (default) or Inactive
}

// SeedRAM declares RAM entities.
type SeedRAM struct {
	Roles    []SeedRole   `yaml:"roles"`
	Users    []SeedUser   `yaml:"users"`    // see seed_iam.go
	Groups   []SeedGroup  `yaml:"groups"`   // see seed_iam.go
	Policies []SeedPolicy `yaml:"policies"` // custom policies; see seed_iam.go
}

// SeedRole is a RAM role.
type SeedRole struct {
	Name               string `yaml:"name"`
	Description        string `yaml:"description"`
	AssumeRolePolicy   string `yaml:"assume_role_policy"`
	MaxSessionDuration int64  `yaml:"max_session_duration"`
	// Policies are attached to the role: custom policies of this account
	// or system policies, by name.
	Policies []string `yaml:"policies"`
}

// SeedECS declares ECS instances.
type SeedECS struct {
	Instances []SeedInstance `yaml:"instances"`
}

// SeedInstance is an ECS instance.
type SeedInstance struct {
	ID           string `yaml:"id"`
	Region       string `yaml:"region"`
	Zone         string `yaml:"zone"`
	NetworkType  string `yaml:"network_type"`
	Name         string `yaml:"name"`
	Status       string `yaml:"status"`
	InstanceType string `yaml:"instance_type"`
	ImageID      string `yaml:"image_id"`
	RAMRole      string `yaml:"ram_role"`
	// MetadataOptions are the instance's metadata service settings, as
	// ModifyInstanceMetadataOptions sets them; unset: enabled, optional.
	MetadataOptions SeedMetadataOptions `yaml:"metadata_options"`
}

// SeedMetadataOptions are an instance's metadata service settings.
type SeedMetadataOptions struct {
	HTTPEndpoint string `yaml:"http_endpoint"` // enabled (default) or disabled
	HTTPTokens   string `yaml:"http_tokens"`   // optional (default) or required
}

// SeedBastionhost declares Bastionhost instances.
type SeedBastionhost struct {
	Instances []SeedBastionInstance `yaml:"instances"`
}

// SeedBastionInstance is a bastion host instance and, optionally, its
// hosts (with accounts), users and user groups (with members). Objects are
// identified by name within the instance; their ids are assigned as the API
// assigns them.
type SeedBastionInstance struct {
	ID          string             `yaml:"id"`
	Region      string             `yaml:"region"`
	Description string             `yaml:"description"`
	Hosts       []SeedBastionHost  `yaml:"hosts"`
	Users       []SeedBastionUser  `yaml:"users"`
	UserGroups  []SeedBastionGroup `yaml:"user_groups"`
}

// SeedBastionHost is a host of a bastion instance.
type SeedBastionHost struct {
	Name              string                   `yaml:"name"`
	OSType            string                   `yaml:"os_type"`             // Linux (default) or Windows
	ActiveAddressType string                   `yaml:"active_address_type"` // Private (default) or Public
	PublicAddress     string                   `yaml:"public_address"`
	PrivateAddress    string                   `yaml:"private_address"`
	Comment           string                   `yaml:"comment"`
	Accounts          []SeedBastionHostAccount `yaml:"accounts"`
}

// SeedBastionHostAccount is an account of a host.
type SeedBastionHostAccount struct {
	Name     string `yaml:"name"`
	Protocol string `yaml:"protocol"` // SSH (default) or RDP
	Password string `yaml:"password"`
}

// SeedBastionUser is a user of a bastion instance.
type SeedBastionUser struct {
	Name         string `yaml:"name"`
	Source       string `yaml:"source"` // Local (default), Ram, AD or LDAP
	Password     string `yaml:"password"`
	SourceUserID string `yaml:"source_user_id"`
	DisplayName  string `yaml:"display_name"`
}

// SeedBastionGroup is a user group and the names of its members.
type SeedBastionGroup struct {
	Name    string   `yaml:"name"`
	Comment string   `yaml:"comment"`
	Members []string `yaml:"members"`
}

var (
	accountIDRE   = regexp.MustCompile(`^[0-9]{16}$`)
	accessKeyRE   = regexp.MustCompile(`^[A-Za-z0-9.]{8,128}$`)
	instanceIDRE  = regexp.MustCompile(`^i-[a-z0-9]{1,62}$`)
	bastionIDRE   = regexp.MustCompile(`^bastionhost-[a-z0-9-]{1,64}$`)
	roleNameRE    = regexp.MustCompile(`^[a-zA-Z0-9.\-]{1,64}$`)
	instanceState = map[string]bool{"": true, localyun.StatusRunning: true, localyun.StatusStopped: true}
)

// LoadSeed reads and validates a seed file. Every error names the file
// and, for a problem with a value, its field path (and its line, when the
// value cannot be read at all): "seed.yaml: accounts[0].acess_keys: unknown
// field (did you mean access_keys?) (line 5)".
func LoadSeed(path string) (*Seed, error) {
	buf, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("seed file %s does not exist: write one (the README's section \"Declare a world: the seed file\" "+
			"has an example to start from), or drop --seed; --demo applies a built-in example world", path)
	}
	if err != nil {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	s, err := ParseSeed(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseSeed decodes and validates a seed document. A document that
// declares no account is an error.
func ParseSeed(buf []byte) (*Seed, error) {
	var s Seed
	if err := decodeSeed(buf, &s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks every value, naming the field of the first problem.
func (s *Seed) Validate() error {
	accounts := map[string]bool{}
	keys := map[string]bool{}
	instances := map[string]bool{}
	bastions := map[string]bool{}
	for i, a := range s.Accounts {
		at := fmt.Sprintf("accounts[%d]", i)
		if !accountIDRE.MatchString(a.ID) {
			return fmt.Errorf("%s.id: %q is not a 16-digit account UID", at, a.ID)
		}
		if accounts[a.ID] {
			return fmt.Errorf("%s.id: account %s is declared twice", at, a.ID)
		}
		accounts[a.ID] = true
		if err := validateSeedAccessKeys(at, a.AccessKeys, keys); err != nil {
			return err
		}
		roles, err := validateSeedRoles(at, a.RAM.Roles)
		if err != nil {
			return err
		}
		if err := validateIAM(at, a, keys); err != nil {
			return err
		}
		if err := validateSeedInstances(at, a.ECS.Instances, roles, instances); err != nil {
			return err
		}
		if err := validateSeedBastionInstances(at, a.Bastionhost.Instances, bastions); err != nil {
			return err
		}
	}
	return nil
}

// validateSeedAccessKeys checks the access keys of account at; keys holds
// the ids declared so far, in every account, and gains these.
func validateSeedAccessKeys(at string, aks []SeedAccessKey, keys map[string]bool) error {
	for j, k := range aks {
		kt := fmt.Sprintf("%s.access_keys[%d]", at, j)
		if !accessKeyRE.MatchString(k.ID) {
			return fmt.Errorf("%s.id: %q must be 8 to 128 letters, digits or dots", kt, k.ID)
		}
		if keys[k.ID] {
			return fmt.Errorf("%s.id: access key %s is declared twice", kt, k.ID)
		}
		keys[k.ID] = true
		if len(k.Secret) < 8 || len(k.Secret) > 128 {
			return fmt.Errorf("%s.secret: must be 8 to 128 characters", kt)
		}
		if k.Status != "" && k.Status != localyun.AccessKeyActive && k.Status != localyun.AccessKeyInactive {
			return fmt.Errorf("%s.status: %q must be Active or Inactive", kt, k.Status)
		}
	}
	return nil
}

// validateSeedRoles checks the RAM roles of account at and returns them by
// lower-case name.
func validateSeedRoles(at string, rs []SeedRole) (map[string]SeedRole, error) {
	roles := map[string]SeedRole{}
	for j, r := range rs {
		rt := fmt.Sprintf("%s.ram.roles[%d]", at, j)
		if !roleNameRE.MatchString(r.Name) {
			return nil, fmt.Errorf("%s.name: %q must be 1 to 64 letters, digits, dots or hyphens", rt, r.Name)
		}
		if _, dup := roles[strings.ToLower(r.Name)]; dup {
			return nil, fmt.Errorf("%s.name: role %s is declared twice", rt, r.Name)
		}
		roles[strings.ToLower(r.Name)] = r
		if err := ram.ValidateTrustPolicy(r.AssumeRolePolicy); err != nil {
			return nil, fmt.Errorf("%s.assume_role_policy: %v", rt, err)
		}
		if r.MaxSessionDuration != 0 && (r.MaxSessionDuration < ram.MinMaxSessionDuration || r.MaxSessionDuration > ram.MaxMaxSessionDuration) {
			return nil, fmt.Errorf("%s.max_session_duration: must be from 3600 to 43200", rt)
		}
		if len(r.Description) > 1024 {
			return nil, fmt.Errorf("%s.description: longer than 1024 characters", rt)
		}
	}
	return roles, nil
}

// validateSeedInstances checks the ECS instances of account at, whose
// roles (by lower-case name) they may use; instances holds the ids
// declared so far, in every account, and gains these.
func validateSeedInstances(at string, ins []SeedInstance, roles map[string]SeedRole, instances map[string]bool) error {
	for j, in := range ins {
		it := fmt.Sprintf("%s.ecs.instances[%d]", at, j)
		if !instanceIDRE.MatchString(in.ID) {
			return fmt.Errorf("%s.id: %q is not an instance id (i- and lower-case letters or digits)", it, in.ID)
		}
		if instances[in.ID] {
			return fmt.Errorf("%s.id: instance %s is declared twice", it, in.ID)
		}
		instances[in.ID] = true
		if !ecs.KnownRegion(in.Region) {
			return fmt.Errorf("%s.region: %q is not an ECS region", it, in.Region)
		}
		if in.NetworkType != "" && in.NetworkType != localyun.NetworkVPC && in.NetworkType != localyun.NetworkClassic {
			return fmt.Errorf("%s.network_type: %q must be vpc or classic", it, in.NetworkType)
		}
		if !instanceState[in.Status] {
			return fmt.Errorf("%s.status: %q must be Running or Stopped", it, in.Status)
		}
		if err := in.MetadataOptions.validate(it + ".metadata_options"); err != nil {
			return err
		}
		if in.RAMRole != "" {
			if in.NetworkType == localyun.NetworkClassic {
				return fmt.Errorf("%s.ram_role: a classic-network instance cannot have an instance RAM role", it)
			}
			r, ok := roles[strings.ToLower(in.RAMRole)]
			if !ok {
				return fmt.Errorf("%s.ram_role: role %q is not declared in %s.ram.roles", it, in.RAMRole, at)
			}
			if !ecs.TrustsECS(r.AssumeRolePolicy) {
				return fmt.Errorf("%s.ram_role: role %q does not trust ecs.aliyuncs.com", it, in.RAMRole)
			}
		}
	}
	return nil
}

// validate checks the metadata options at the field path at.
func (o SeedMetadataOptions) validate(at string) error {
	if o.HTTPEndpoint != "" && o.HTTPEndpoint != localyun.MetadataEnabled && o.HTTPEndpoint != localyun.MetadataDisabled {
		return fmt.Errorf("%s.http_endpoint: %q must be enabled or disabled", at, o.HTTPEndpoint)
	}
	if o.HTTPTokens != "" && o.HTTPTokens != localyun.TokensOptional && o.HTTPTokens != localyun.TokensRequired {
		return fmt.Errorf("%s.http_tokens: %q must be optional or required", at, o.HTTPTokens)
	}
	return nil
}

// validateSeedBastionInstances checks the bastion instances of account at
// and what they hold; bastions holds the ids declared so far, in every
// account, and gains these.
func validateSeedBastionInstances(at string, bs []SeedBastionInstance, bastions map[string]bool) error {
	for j, b := range bs {
		bt := fmt.Sprintf("%s.bastionhost.instances[%d]", at, j)
		if !bastionIDRE.MatchString(b.ID) {
			return fmt.Errorf("%s.id: %q is not a bastion instance id (bastionhost-...)", bt, b.ID)
		}
		if bastions[b.ID] {
			return fmt.Errorf("%s.id: bastion instance %s is declared twice", bt, b.ID)
		}
		bastions[b.ID] = true
		if !bastionhost.KnownRegion(b.Region) {
			return fmt.Errorf("%s.region: %q is not a Bastionhost region", bt, b.Region)
		}
		if err := validateBastionObjects(bt, b); err != nil {
			return err
		}
	}
	return nil
}

// SeedReport counts what applying a seed created.
type SeedReport struct {
	Accounts, AccessKeys, Roles, Instances, BastionInstances int
	BastionObjects                                           int // hosts, accounts, users, groups and memberships
}

// String says in one line how many objects of each kind were created.
func (r SeedReport) String() string {
	return fmt.Sprintf("%d accounts, %d access keys, %d roles, %d instances, %d bastion instances, %d bastion objects created",
		r.Accounts, r.AccessKeys, r.Roles, r.Instances, r.BastionInstances, r.BastionObjects)
}

// Apply creates what the seed declares and the store lacks.
func (s *Seed) Apply(ctx context.Context, st localyun.Store, now time.Time) (SeedReport, error) {
	var rep SeedReport
	created := func(err error, n *int) error {
		if errors.Is(err, localyun.ErrAlreadyExists) {
			return nil
		}
		if err == nil {
			*n++
		}
		return err
	}
	for _, a := range s.Accounts {
		name := a.Name
		if name == "" {
			name = a.ID
		}
		if err := created(st.CreateAccount(ctx, localyun.Account{ID: a.ID, Name: name, CreatedAt: now}), &rep.Accounts); err != nil {
			return rep, fmt.Errorf("account %s: %w", a.ID, err)
		}
		for _, k := range a.AccessKeys {
			status := k.Status
			if status == "" {
				status = localyun.AccessKeyActive
			}
			err := st.CreateAccessKey(ctx, localyun.AccessKey{ID: k.ID, Secret: k.Secret, AccountID: a.ID, Status: status, CreatedAt: now})
			if errors.Is(err, localyun.ErrAlreadyExists) {
				if have, ferr := st.FindAccessKey(ctx, k.ID); ferr == nil && have.AccountID != a.ID {
					return rep, fmt.Errorf("access key %s: already belongs to account %s", k.ID, have.AccountID)
				}
			}
			if err := created(err, &rep.AccessKeys); err != nil {
				return rep, fmt.Errorf("access key %s: %w", k.ID, err)
			}
		}
		for _, r := range a.RAM.Roles {
			msd := r.MaxSessionDuration
			if msd == 0 {
				msd = ram.DefaultMaxSessionDuration
			}
			role := localyun.Role{ID: server.NewID("role"), AccountID: a.ID, Name: r.Name, Description: r.Description,
				AssumeRolePolicyDocument: r.AssumeRolePolicy, MaxSessionDuration: msd, CreatedAt: now, UpdatedAt: now}
			if err := created(st.CreateRole(ctx, role), &rep.Roles); err != nil {
				return rep, fmt.Errorf("role %s: %w", r.Name, err)
			}
		}
		if err := applyIAM(ctx, st, a, now, &rep); err != nil {
			return rep, err
		}
		for _, in := range a.ECS.Instances {
			inst := seedInstance(a.ID, in, now)
			if err := created(st.CreateInstances(ctx, []localyun.Instance{inst}), &rep.Instances); err != nil {
				return rep, fmt.Errorf("instance %s: %w", in.ID, err)
			}
		}
		for _, b := range a.Bastionhost.Instances {
			bi := localyun.BastionInstance{ID: b.ID, AccountID: a.ID, RegionID: b.Region, Status: localyun.BastionRunning,
				Description: b.Description, PlanCode: "cloudbastion", VpcID: "vpc-" + digest(a.ID, b.ID),
				VSwitchID: "vsw-" + digest(b.ID, a.ID), CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}
			if err := created(st.CreateBastionInstance(ctx, bi), &rep.BastionInstances); err != nil {
				return rep, fmt.Errorf("bastion instance %s: %w", b.ID, err)
			}
			if err := applyBastionObjects(ctx, st, a.ID, b, now, &rep); err != nil {
				return rep, fmt.Errorf("bastion instance %s: %w", b.ID, err)
			}
		}
	}
	return rep, nil
}

func seedInstance(account string, in SeedInstance, now time.Time) localyun.Instance {
	inst := localyun.Instance{
		ID: in.ID, AccountID: account, RegionID: in.Region, ZoneID: in.Zone, Name: in.Name, Status: in.Status,
		NetworkType: in.NetworkType, InstanceType: in.InstanceType, ImageID: in.ImageID, RAMRoleName: in.RAMRole, CreatedAt: now,
		Metadata: localyun.MetadataOptions{HTTPEndpoint: in.MetadataOptions.HTTPEndpoint, HTTPTokens: in.MetadataOptions.HTTPTokens},
	}
	if inst.ZoneID == "" {
		inst.ZoneID = in.Region + "-a"
	}
	if inst.Status == "" {
		inst.Status = localyun.StatusRunning
	}
	if inst.NetworkType == "" {
		inst.NetworkType = localyun.NetworkVPC
	}
	if inst.Name == "" {
		inst.Name = in.ID
	}
	if inst.InstanceType == "" {
		inst.InstanceType = "ecs.g7.large"
	}
	if inst.ImageID == "" {
		inst.ImageID = "aliyun_3_x64_20G_alibase_20240819.vhd"
	}
	vpc, vswitch, ip := ecs.InstanceNetwork(account, in.Region, inst.ZoneID, "", in.ID)
	inst.PrivateIP = ip
	if inst.NetworkType == localyun.NetworkVPC {
		inst.VpcID, inst.VSwitchID = vpc, vswitch
	}
	return inst
}
