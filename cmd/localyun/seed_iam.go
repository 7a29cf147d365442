package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/ram"
	"github.com/localyun/localyun/internal/server"
)

// SeedUser is a RAM user with its access keys, groups and policies.
type SeedUser struct {
	Name        string          `yaml:"name"`
	DisplayName string          `yaml:"display_name"`
	AccessKeys  []SeedAccessKey `yaml:"access_keys"` // at most 2
	Groups      []string        `yaml:"groups"`      // names in ram.groups
	Policies    []string        `yaml:"policies"`    // custom (ram.policies) or system policy names
}

// SeedGroup is a RAM group with its policies.
type SeedGroup struct {
	Name     string   `yaml:"name"`
	Comments string   `yaml:"comments"`
	Policies []string `yaml:"policies"`
}

// SeedPolicy is a custom policy (its document becomes version v1).
type SeedPolicy struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Document    string `yaml:"document"`
}

var (
	seedUserRE   = regexp.MustCompile(`^[a-zA-Z0-9._\-]{1,64}$`)
	seedPolicyRE = regexp.MustCompile(`^[a-zA-Z0-9\-]{1,128}$`)
)

// validateIAM checks the users, groups and custom policies of account a
// (at names it); keys collects every access key id of the seed.
func validateIAM(at string, a SeedAccount, keys map[string]bool) error {
	policies := map[string]bool{}
	for j, p := range a.RAM.Policies {
		pt := fmt.Sprintf("%s.ram.policies[%d]", at, j)
		if !seedPolicyRE.MatchString(p.Name) {
			return fmt.Errorf("%s.name: %q must be 1 to 128 letters, digits or hyphens", pt, p.Name)
		}
		if policies[strings.ToLower(p.Name)] {
			return fmt.Errorf("%s.name: policy %s is declared twice", pt, p.Name)
		}
		policies[strings.ToLower(p.Name)] = true
		if _, err := auth.Parse(p.Document); err != nil {
			return fmt.Errorf("%s.document: %v", pt, err)
		}
		if len(p.Description) > 1024 {
			return fmt.Errorf("%s.description: longer than 1024 characters", pt)
		}
	}
	refs := func(field string, names []string) error {
		for k, n := range names {
			if _, ok := seedPolicyType(policies, n); !ok {
				return fmt.Errorf("%s[%d]: %q is neither a policy of ram.policies nor a system policy", field, k, n)
			}
		}
		return nil
	}
	for j, r := range a.RAM.Roles {
		if err := refs(fmt.Sprintf("%s.ram.roles[%d].policies", at, j), r.Policies); err != nil {
			return err
		}
	}
	groups := map[string]bool{}
	for j, g := range a.RAM.Groups {
		gt := fmt.Sprintf("%s.ram.groups[%d]", at, j)
		if !seedUserRE.MatchString(g.Name) {
			return fmt.Errorf("%s.name: %q must be 1 to 64 letters, digits, dots, hyphens or underscores", gt, g.Name)
		}
		if groups[strings.ToLower(g.Name)] {
			return fmt.Errorf("%s.name: group %s is declared twice", gt, g.Name)
		}
		groups[strings.ToLower(g.Name)] = true
		if len(g.Comments) > 128 {
			return fmt.Errorf("%s.comments: longer than 128 characters", gt)
		}
		if err := refs(gt+".policies", g.Policies); err != nil {
			return err
		}
	}
	users := map[string]bool{}
	for j, u := range a.RAM.Users {
		if err := validateSeedUser(fmt.Sprintf("%s.ram.users[%d]", at, j), at, u, users, groups, keys, refs); err != nil {
			return err
		}
	}
	return nil
}

// validateSeedUser checks user u (at ut) of the account at at: its name
// is new among users, its keys new among keys, its groups declared and
// its policies known (refs).
func validateSeedUser(ut, at string, u SeedUser, users, groups, keys map[string]bool, refs func(string, []string) error) error {
	if !seedUserRE.MatchString(u.Name) {
		return fmt.Errorf("%s.name: %q must be 1 to 64 letters, digits, dots, hyphens or underscores", ut, u.Name)
	}
	if users[strings.ToLower(u.Name)] {
		return fmt.Errorf("%s.name: user %s is declared twice", ut, u.Name)
	}
	users[strings.ToLower(u.Name)] = true
	if len(u.DisplayName) > 128 {
		return fmt.Errorf("%s.display_name: longer than 128 characters", ut)
	}
	if len(u.AccessKeys) > ram.MaxAccessKeysPerUser {
		return fmt.Errorf("%s.access_keys: at most %d keys per user", ut, ram.MaxAccessKeysPerUser)
	}
	for k, key := range u.AccessKeys {
		kt := fmt.Sprintf("%s.access_keys[%d]", ut, k)
		if !accessKeyRE.MatchString(key.ID) || strings.HasPrefix(key.ID, "STS.") {
			return fmt.Errorf("%s.id: %q must be 8 to 128 letters, digits or dots, not starting with \"STS.\"", kt, key.ID)
		}
		if keys[key.ID] {
			return fmt.Errorf("%s.id: access key %s is declared twice", kt, key.ID)
		}
		keys[key.ID] = true
		if len(key.Secret) < 8 || len(key.Secret) > 128 {
			return fmt.Errorf("%s.secret: must be 8 to 128 characters", kt)
		}
		if key.Status != "" && key.Status != localyun.AccessKeyActive && key.Status != localyun.AccessKeyInactive {
			return fmt.Errorf("%s.status: %q must be Active or Inactive", kt, key.Status)
		}
	}
	for k, g := range u.Groups {
		if !groups[strings.ToLower(g)] {
			return fmt.Errorf("%s.groups[%d]: group %q is not declared in %s.ram.groups", ut, k, g, at)
		}
	}
	return refs(ut+".policies", u.Policies)
}

// seedPolicyType resolves a policy reference: a custom policy of the seed
// first, then a system policy.
func seedPolicyType(custom map[string]bool, name string) (string, bool) {
	if custom[strings.ToLower(name)] {
		return localyun.PolicyTypeCustom, true
	}
	if _, ok := auth.FindSystemPolicy(name); ok {
		return localyun.PolicyTypeSystem, true
	}
	return "", false
}

func seedPolicyName(typ, name string) string {
	if typ == localyun.PolicyTypeSystem {
		sp, _ := auth.FindSystemPolicy(name)
		return sp.Name
	}
	return name
}

// applyIAM creates the account's custom policies, groups, users, their keys,
// memberships and attachments that the store lacks.
func applyIAM(ctx context.Context, st localyun.Store, a SeedAccount, now time.Time, rep *SeedReport) error {
	exists := func(err error) error {
		if errors.Is(err, localyun.ErrAlreadyExists) {
			return nil
		}
		return err
	}
	custom := map[string]bool{}
	for _, p := range a.RAM.Policies {
		custom[strings.ToLower(p.Name)] = true
		err := st.CreatePolicy(ctx, localyun.Policy{AccountID: a.ID, Name: p.Name, Type: localyun.PolicyTypeCustom,
			Description: p.Description, DefaultVersion: "v1", CreatedAt: now, UpdatedAt: now},
			localyun.PolicyVersion{Document: p.Document, CreatedAt: now})
		if err := exists(err); err != nil {
			return fmt.Errorf("policy %s: %w", p.Name, err)
		}
	}
	attach := func(kind, who string, names []string) error {
		for _, n := range names {
			typ, _ := seedPolicyType(custom, n)
			err := st.AttachPolicy(ctx, localyun.Attachment{AccountID: a.ID, PolicyType: typ, PolicyName: seedPolicyName(typ, n),
				PrincipalType: kind, PrincipalName: who, AttachedAt: now})
			if err := exists(err); err != nil {
				return fmt.Errorf("attach %s to %s %s: %w", n, kind, who, err)
			}
		}
		return nil
	}
	for _, r := range a.RAM.Roles {
		if err := attach(localyun.AttachRole, r.Name, r.Policies); err != nil {
			return err
		}
	}
	for _, g := range a.RAM.Groups {
		err := st.CreateGroup(ctx, localyun.Group{ID: server.NewID("role"), AccountID: a.ID, Name: g.Name, Comments: g.Comments,
			CreatedAt: now, UpdatedAt: now})
		if err := exists(err); err != nil {
			return fmt.Errorf("group %s: %w", g.Name, err)
		}
		if err := attach(localyun.AttachGroup, g.Name, g.Policies); err != nil {
			return err
		}
	}
	for _, u := range a.RAM.Users {
		if err := applySeedUser(ctx, st, a.ID, u, now, rep, exists, attach); err != nil {
			return err
		}
	}
	return nil
}

// applySeedUser creates user u of an account with its keys (counted in
// rep), memberships and attachments, where the store lacks them; exists
// forgives ErrAlreadyExists, attach attaches policies.
func applySeedUser(ctx context.Context, st localyun.Store, accountID string, u SeedUser, now time.Time, rep *SeedReport,
	exists func(error) error, attach func(kind, who string, names []string) error) error {
	display := u.DisplayName
	if display == "" {
		display = u.Name
	}
	err := st.CreateUser(ctx, localyun.User{ID: server.NewID("role"), AccountID: accountID, Name: u.Name, DisplayName: display,
		CreatedAt: now, UpdatedAt: now})
	if err := exists(err); err != nil {
		return fmt.Errorf("user %s: %w", u.Name, err)
	}
	for _, k := range u.AccessKeys {
		status := k.Status
		if status == "" {
			status = localyun.AccessKeyActive
		}
		// A key already there (a seed is applied at every start, maybe by
		// several nodes at once) is not created again: a user holding its
		// two keys is at the limit.
		created, err := seedUserKey(ctx, st, localyun.AccessKey{ID: k.ID, Secret: k.Secret, AccountID: accountID, UserName: u.Name,
			Status: status, CreatedAt: now})
		if err != nil {
			return err
		}
		if created {
			rep.AccessKeys++
		}
	}
	for _, g := range u.Groups {
		if err := exists(st.AddUserToGroup(ctx, accountID, g, u.Name, now)); err != nil {
			return fmt.Errorf("user %s in group %s: %w", u.Name, g, err)
		}
	}
	return attach(localyun.AttachUser, u.Name, u.Policies)
}

// seedUserKey creates a user's seed key unless the key is there already;
// created says whether it did. A key of another owner is an error.
func seedUserKey(ctx context.Context, st localyun.Store, k localyun.AccessKey) (created bool, err error) {
	there := func() (bool, error) {
		have, err := st.FindAccessKey(ctx, k.ID)
		switch {
		case errors.Is(err, localyun.ErrNotFound):
			return false, nil
		case err != nil:
			return false, err
		case have.AccountID != k.AccountID || !strings.EqualFold(have.UserName, k.UserName):
			return false, fmt.Errorf("access key %s: already belongs to another owner", k.ID)
		}
		return true, nil
	}
	if ok, err := there(); ok || err != nil {
		return false, err
	}
	err = st.CreateUserAccessKey(ctx, k, ram.MaxAccessKeysPerUser)
	if errors.Is(err, localyun.ErrAlreadyExists) || errors.Is(err, localyun.ErrLimitExceeded) {
		// Created meanwhile, by another node applying the same seed?
		if ok, ferr := there(); ok || ferr != nil {
			return false, ferr
		}
	}
	if err != nil {
		return false, fmt.Errorf("access key %s of user %s: %w", k.ID, k.UserName, err)
	}
	return true, nil
}
