package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
)

// seedBastionHost turns a seed host into the host the API would create.
func seedBastionHost(inst string, h SeedBastionHost, now time.Time) localyun.BastionHost {
	host := localyun.BastionHost{InstanceID: inst, Name: h.Name, Comment: h.Comment, OSType: h.OSType,
		Source: localyun.BastionSourceLocal, ActiveAddressType: h.ActiveAddressType, PublicAddress: h.PublicAddress,
		PrivateAddress: h.PrivateAddress, CreatedAt: now}
	if host.OSType == "" {
		host.OSType = "Linux"
	}
	if host.ActiveAddressType == "" {
		host.ActiveAddressType = localyun.BastionAddressPrivate
	}
	return host
}

func seedBastionUser(inst string, u SeedBastionUser, now time.Time) localyun.BastionUser {
	user := localyun.BastionUser{InstanceID: inst, Name: u.Name, Source: u.Source, SourceUserID: u.SourceUserID,
		DisplayName: u.DisplayName, CreatedAt: now}
	if user.Source == "" {
		user.Source = localyun.BastionUserLocal
	}
	return user
}

// validateBastionObjects checks the hosts, users and groups of a seeded
// bastion instance with the API's own rules, naming the field.
func validateBastionObjects(bt string, b SeedBastionInstance) error {
	hosts := map[string]bool{}
	for i, h := range b.Hosts {
		ht := fmt.Sprintf("%s.hosts[%d]", bt, i)
		host := seedBastionHost(b.ID, h, time.Time{})
		if err := bastionhost.ValidateHost(&host); err != nil {
			return fmt.Errorf("%s: %s", ht, apiMessage(err))
		}
		if hosts[h.Name] {
			return fmt.Errorf("%s.name: host %s is declared twice", ht, h.Name)
		}
		hosts[h.Name] = true
		accts := map[string]bool{}
		for j, a := range h.Accounts {
			at := fmt.Sprintf("%s.accounts[%d]", ht, j)
			acct := localyun.BastionHostAccount{Name: a.Name, ProtocolName: a.Protocol}
			if acct.ProtocolName == "" {
				acct.ProtocolName = "SSH"
			}
			pw := a.Password
			if err := bastionhost.ValidateHostAccount(&acct, bastionhost.HostAccountSecret{Password: &pw}, &localyun.BastionSecret{}); err != nil {
				return fmt.Errorf("%s: %s", at, apiMessage(err))
			}
			if accts[acct.ProtocolName+"/"+a.Name] {
				return fmt.Errorf("%s.name: account %s is declared twice", at, a.Name)
			}
			accts[acct.ProtocolName+"/"+a.Name] = true
		}
	}
	users := map[string]bool{}
	for i, u := range b.Users {
		ut := fmt.Sprintf("%s.users[%d]", bt, i)
		user := seedBastionUser(b.ID, u, time.Time{})
		if err := bastionhost.ValidateUser(&user); err != nil {
			return fmt.Errorf("%s: %s", ut, apiMessage(err))
		}
		if user.Source == localyun.BastionUserLocal {
			if err := bastionhost.CheckUserPassword(u.Password); err != nil {
				return fmt.Errorf("%s.password: %s", ut, apiMessage(err))
			}
		} else if u.Password != "" {
			return fmt.Errorf("%s.password: only Local users have a password", ut)
		}
		if users[u.Name] {
			return fmt.Errorf("%s.name: user %s is declared twice", ut, u.Name)
		}
		users[u.Name] = true
	}
	groups := map[string]bool{}
	for i, g := range b.UserGroups {
		gt := fmt.Sprintf("%s.user_groups[%d]", bt, i)
		if err := bastionhost.ValidateGroup("UserGroup", g.Name, g.Comment); err != nil {
			return fmt.Errorf("%s: %s", gt, apiMessage(err))
		}
		if groups[g.Name] {
			return fmt.Errorf("%s.name: user group %s is declared twice", gt, g.Name)
		}
		groups[g.Name] = true
		for j, m := range g.Members {
			if !users[m] {
				return fmt.Errorf("%s.members[%d]: user %q is not declared in %s.users", gt, j, m, bt)
			}
		}
	}
	return nil
}

// applyBastionObjects creates the declared objects that the instance lacks,
// finding existing ones by name.
func applyBastionObjects(ctx context.Context, st localyun.Store, account string, b SeedBastionInstance, now time.Time, rep *SeedReport) error {
	if _, err := st.FindBastionInstance(ctx, account, b.ID); err != nil {
		return err
	}
	for _, h := range b.Hosts {
		if err := applyBastionHost(ctx, st, b.ID, h, now, rep); err != nil {
			return err
		}
	}
	userIDs := map[string]string{}
	for _, u := range b.Users {
		user := seedBastionUser(b.ID, u, now)
		_ = bastionhost.ValidateUser(&user)
		created, err := st.CreateBastionUser(ctx, user, localyun.BastionSecret{Password: u.Password})
		switch {
		case errors.Is(err, localyun.ErrAlreadyExists):
			found, _, ferr := st.FindBastionUsers(ctx, localyun.BastionUserFilter{InstanceID: b.ID, Name: u.Name, Now: now})
			if ferr != nil || len(found) == 0 {
				return fmt.Errorf("user %s: %v", u.Name, ferr)
			}
			created = found[0]
		case err != nil:
			return fmt.Errorf("user %s: %w", u.Name, err)
		default:
			rep.BastionObjects++
		}
		userIDs[u.Name] = created.ID
	}
	for _, g := range b.UserGroups {
		if err := applyBastionUserGroup(ctx, st, b.ID, g, userIDs, now, rep); err != nil {
			return err
		}
	}
	return nil
}

// applyBastionHost creates a declared host (unless one of its name
// exists) and the accounts it lacks.
func applyBastionHost(ctx context.Context, st localyun.Store, inst string, h SeedBastionHost, now time.Time, rep *SeedReport) error {
	found, _, err := st.FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: inst, Name: h.Name, Limit: 1})
	if err != nil {
		return err
	}
	var host localyun.BastionHost
	if len(found) > 0 {
		host = found[0]
	} else {
		host = seedBastionHost(inst, h, now)
		_ = bastionhost.ValidateHost(&host)
		if host, err = st.CreateBastionHost(ctx, host); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		rep.BastionObjects++
	}
	for _, a := range h.Accounts {
		acct := localyun.BastionHostAccount{InstanceID: inst, HostID: host.ID, Name: a.Name, ProtocolName: a.Protocol, CreatedAt: now}
		if acct.ProtocolName == "" {
			acct.ProtocolName = "SSH"
		}
		var sec localyun.BastionSecret
		pw := a.Password
		_ = bastionhost.ValidateHostAccount(&acct, bastionhost.HostAccountSecret{Password: &pw}, &sec)
		_, err := st.CreateBastionHostAccount(ctx, acct, sec)
		switch {
		case errors.Is(err, localyun.ErrAlreadyExists):
		case err != nil:
			return fmt.Errorf("host %s account %s: %w", h.Name, a.Name, err)
		default:
			rep.BastionObjects++
		}
	}
	return nil
}

// applyBastionUserGroup creates a declared user group (unless one of its
// name exists) and adds the members it lacks.
func applyBastionUserGroup(ctx context.Context, st localyun.Store, inst string, g SeedBastionGroup, userIDs map[string]string,
	now time.Time, rep *SeedReport) error {
	group, err := st.CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: inst, Name: g.Name,
		Comment: g.Comment, CreatedAt: now})
	switch {
	case errors.Is(err, localyun.ErrAlreadyExists):
		found, _, ferr := st.FindBastionGroups(ctx, localyun.BastionGroupFilter{Kind: localyun.BastionGroupUser, InstanceID: inst, Name: g.Name})
		if ferr != nil || len(found) == 0 {
			return fmt.Errorf("user group %s: %v", g.Name, ferr)
		}
		group = found[0]
	case err != nil:
		return fmt.Errorf("user group %s: %w", g.Name, err)
	default:
		rep.BastionObjects++
	}
	var ids []string
	for _, m := range g.Members {
		ids = append(ids, userIDs[m])
	}
	if len(ids) == 0 {
		return nil
	}
	res, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupUser, inst, group.ID, ids)
	if err != nil {
		return fmt.Errorf("user group %s: %w", g.Name, err)
	}
	for _, r := range res {
		if r.Changed {
			rep.BastionObjects++
		}
	}
	return nil
}

// apiMessage is the message of an API validation error.
func apiMessage(err error) string {
	var e *localyun.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
