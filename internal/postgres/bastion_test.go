package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/bastionhost"
	"github.com/localyun/localyun/internal/pgtest"
	"github.com/localyun/localyun/internal/postgres"
	"github.com/localyun/localyun/internal/storetest"
)

func TestBastionConformance(t *testing.T) {
	storetest.RunBastion(t, func(t *testing.T) storetest.BastionStore { return openStore(t) })
}

// rot13Sealer is a reversible test sealer.
type rot13Sealer struct{}

func (rot13Sealer) Seal(s string) (string, error) { return "R" + rot13(s), nil }
func (rot13Sealer) Open(s string) (string, error) {
	if !strings.HasPrefix(s, "R") {
		return "", errors.New("not sealed by rot13Sealer")
	}
	return rot13(s[1:]), nil
}

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// bastionNode opens a store (a "node") on dsn with one bastion instance
// created by the first node.
func bastionNode(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// changeHostGrants runs AttachHostAccountsToUserGroup (attach) or
// DetachHostAccountsFromUserGroup on instance bh1 through the Bastionhost
// service over st, where the rules of a batch live.
func changeHostGrants(ctx context.Context, st *postgres.Store, attach bool, g localyun.BastionGrantee, req []localyun.BastionHostGrant) error {
	s := bastionhost.NewService(st, bastionhost.Options{})
	ctx = localyun.NewContextWithPrincipal(ctx, localyun.Principal{AccountID: "1111111111111111", Type: localyun.PrincipalTypeRoot})
	in := bastionhost.HostGrantsInput{GranteeRef: bastionhost.GranteeRef{InstanceRef: bastionhost.InstanceRef{InstanceID: "bh1"}, Grantee: g}, Hosts: req}
	var err error
	if attach {
		_, err = s.AttachHostAccountsToUserGroup(ctx, in)
	} else {
		_, err = s.DetachHostAccountsFromUserGroup(ctx, in)
	}
	return err
}

func seedBastionInstance(t *testing.T, st *postgres.Store, id string) {
	t.Helper()
	storetest.MustCreateAccount(t, st, "1111111111111111")
	if err := st.CreateBastionInstance(context.Background(), localyun.BastionInstance{ID: id, AccountID: "1111111111111111",
		RegionID: "cn-hangzhou", Status: localyun.BastionRunning}); err != nil {
		t.Fatal(err)
	}
}

func TestBastionSecretsSealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st := bastionNode(t, dsn)
	seedBastionInstance(t, st, "bh1")
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	// Written without a master key: plaintext, still readable with one.
	h, _ := st.CreateBastionHost(ctx, localyun.BastionHost{InstanceID: "bh1", Name: "h"})
	plain, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: "bh1", HostID: h.ID, Name: "old",
		ProtocolName: "SSH"}, localyun.BastionSecret{Password: "pw0"})
	if err != nil {
		t.Fatal(err)
	}
	st.Sealer = rot13Sealer{}
	a, err := st.CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: "bh1", HostID: h.ID, Name: "root",
		ProtocolName: "SSH"}, localyun.BastionSecret{Password: "pw1", PrivateKey: "KEY", PassPhrase: ""})
	if err != nil || !a.HasPassword {
		t.Fatalf("create %+v %v", a, err)
	}
	var pw, key, phrase string
	if err := raw.QueryRow(`SELECT password, private_key, pass_phrase FROM bastion_host_accounts WHERE id = $1`, a.ID).
		Scan(&pw, &key, &phrase); err != nil {
		t.Fatal(err)
	}
	if pw != "sealed:R"+rot13("pw1") || key != "sealed:R"+rot13("KEY") || phrase != "" {
		t.Fatalf("stored %q %q %q, want sealed values and an empty pass phrase", pw, key, phrase)
	}
	if s, err := st.FindBastionHostAccountSecret(ctx, "bh1", a.ID); err != nil || s != (localyun.BastionSecret{Password: "pw1", PrivateKey: "KEY"}) {
		t.Fatalf("secret %+v %v", s, err)
	}
	if s, err := st.FindBastionHostAccountSecret(ctx, "bh1", plain.ID); err != nil || s.Password != "pw0" {
		t.Fatalf("plaintext secret %+v %v", s, err)
	}
	// An update reads the plaintext and writes the credentials it sets.
	if s, err := st.FindBastionHostAccountSecret(ctx, "bh1", a.ID); err != nil || s.Password != "pw1" {
		t.Fatalf("update saw %q, %v", s.Password, err)
	}
	empty := ""
	err = st.UpdateBastionHostAccount(ctx, a, a, localyun.BastionSecretUpdate{Password: &empty})
	if upd, _ := st.FindBastionHostAccount(ctx, "bh1", a.ID); err != nil || upd.HasPassword {
		t.Fatalf("update %+v %v", upd, err)
	}
	u, err := st.CreateBastionUser(ctx, localyun.BastionUser{InstanceID: "bh1", Name: "alice"}, localyun.BastionSecret{Password: "Secret1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT password FROM bastion_users WHERE id = $1`, u.ID).Scan(&pw); err != nil || pw != "sealed:R"+rot13("Secret1") {
		t.Fatalf("stored user password %q %v", pw, err)
	}
	if s, err := st.FindBastionUserSecret(ctx, "bh1", u.ID); err != nil || s.Password != "Secret1" {
		t.Fatalf("user secret %+v %v", s, err)
	}
	// Without the key, a sealed secret is an error, never the sealed text.
	st.Sealer = nil
	if s, err := st.FindBastionUserSecret(ctx, "bh1", u.ID); err == nil {
		t.Fatalf("read a sealed secret without a key: %+v", s)
	}
}

// TestBastionConcurrentNodes runs overlapping batches from several nodes
// sharing one database: ids stay unique, every batch succeeds and the
// final state is what the batches imply.
func TestBastionConcurrentNodes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	nodes := []*postgres.Store{bastionNode(t, dsn), bastionNode(t, dsn), bastionNode(t, dsn)}
	seedBastionInstance(t, nodes[0], "bh1")
	const hosts = 12
	var hostIDs []string
	accountOf := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := 0; i < hosts; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h, err := nodes[i%len(nodes)].CreateBastionHost(ctx, localyun.BastionHost{InstanceID: "bh1", Name: "h" + strconv.Itoa(i)})
			if err != nil {
				errs <- err
				return
			}
			a, err := nodes[i%len(nodes)].CreateBastionHostAccount(ctx, localyun.BastionHostAccount{InstanceID: "bh1",
				HostID: h.ID, Name: "root", ProtocolName: "SSH"}, localyun.BastionSecret{})
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			hostIDs = append(hostIDs, h.ID)
			accountOf[h.ID] = a.ID
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range hostIDs {
		if seen[id] {
			t.Fatalf("duplicate host id %s", id)
		}
		seen[id] = true
	}
	g, err := nodes[0].CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupUser, InstanceID: "bh1", Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	grantee := localyun.BastionGrantee{Kind: localyun.GranteeUserGroup, ID: g.ID}
	// Each worker attaches every host (with its account) in its own order,
	// and adds every host to a host group; some detach in between.
	hg, _ := nodes[0].CreateBastionGroup(ctx, localyun.BastionGroup{Kind: localyun.BastionGroupHost, InstanceID: "bh1", Name: "all"})
	errs = make(chan error, 1000)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := nodes[w%len(nodes)]
			for round := 0; round < 5; round++ {
				var req []localyun.BastionHostGrant
				var ids []string
				for i := range hostIDs {
					id := hostIDs[(i*(w+1)+round)%len(hostIDs)]
					req = append(req, localyun.BastionHostGrant{HostID: id, AccountIDs: []string{accountOf[id]}})
					ids = append(ids, id)
				}
				if err := changeHostGrants(ctx, st, true, grantee, req); err != nil {
					errs <- fmt.Errorf("attach: %w", err)
				}
				if _, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupHost, "bh1", hg.ID, ids); err != nil {
					errs <- fmt.Errorf("add: %w", err)
				}
				if w%3 == 0 {
					if _, err := st.RemoveBastionGroupMembers(ctx, localyun.BastionGroupHost, "bh1", hg.ID, ids[:3]); err != nil {
						errs <- fmt.Errorf("remove: %w", err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	hs, total, err := nodes[1].FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: "bh1", Grantee: &grantee, Authorized: true})
	if err != nil || total != hosts || len(hs) != hosts {
		t.Fatalf("granted hosts %d/%d, %v", len(hs), total, err)
	}
	for _, h := range hs {
		as, _, err := nodes[2].FindBastionHostAccountGrants(ctx, grantee, localyun.BastionHostAccountFilter{InstanceID: "bh1", HostIDs: []string{h.ID}})
		if err != nil || len(as) != 1 || !as[0].Authorized {
			t.Fatalf("account grants of host %s: %+v %v", h.ID, as, err)
		}
	}
	// Deleting hosts while batches name them: every batch either sees a
	// host (and grants it) or reports it missing; none fails.
	errs = make(chan error, 1000)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := nodes[w%len(nodes)]
			if w == 0 {
				for _, id := range hostIDs[:6] {
					if err := st.DeleteBastionHost(ctx, "bh1", id); err != nil {
						errs <- fmt.Errorf("delete: %w", err)
					}
					time.Sleep(time.Millisecond)
				}
				return
			}
			for round := 0; round < 5; round++ {
				var req []localyun.BastionHostGrant
				for _, id := range hostIDs {
					req = append(req, localyun.BastionHostGrant{HostID: id, AccountIDs: []string{accountOf[id]}})
				}
				if err := changeHostGrants(ctx, st, false, grantee, req); err != nil {
					errs <- fmt.Errorf("detach: %w", err)
				}
				if err := changeHostGrants(ctx, st, true, grantee, req); err != nil {
					errs <- fmt.Errorf("attach: %w", err)
				}
				if _, err := st.AddBastionGroupMembers(ctx, localyun.BastionGroupHost, "bh1", hg.ID, hostIDs); err != nil {
					errs <- fmt.Errorf("add: %w", err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, total, _ := nodes[0].FindBastionHosts(ctx, localyun.BastionHostFilter{InstanceID: "bh1", Grantee: &grantee, Authorized: true}); total != hosts-6 {
		t.Fatalf("granted hosts after deletes: %d, want %d", total, hosts-6)
	}
}
