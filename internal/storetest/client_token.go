package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/localyun/localyun"
)

// ClientTokenStore is what the ClientToken suite needs.
type ClientTokenStore interface {
	localyun.AccountStore
	localyun.InstanceStore
	localyun.ClientTokenStore
}

// ClientTokenOpener returns a fresh, empty, migrated store for one test.
type ClientTokenOpener func(t *testing.T) ClientTokenStore

// RunClientTokens runs the behaviour tests of ClientToken records.
func RunClientTokens(t *testing.T, open ClientTokenOpener) {
	t.Run("ClientTokens", func(t *testing.T) { testClientTokens(t, open) })
	t.Run("ClientTokenExpiry", func(t *testing.T) { testClientTokenExpiry(t, open) })
	t.Run("ClientTokenConcurrent", func(t *testing.T) { testClientTokenConcurrent(t, open) })
}

const tokA, tokB = "1111111111111111", "2222222222222222"

func clientToken(account, region, token string, at time.Time) localyun.ClientToken {
	return localyun.ClientToken{AccountID: account, RegionID: region, Token: token, Action: "RunInstances",
		ParamsSum: sha256.Sum256([]byte(token)), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
}

// instanceIDs lists the ids of the instances of an account, in creation order.
func instanceIDs(t *testing.T, st localyun.InstanceStore, account string) []string {
	t.Helper()
	insts, _, err := st.FindInstances(context.Background(), localyun.InstanceFilter{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, in := range insts {
		ids = append(ids, in.ID)
	}
	return ids
}

func mustCreateWithToken(t *testing.T, st ClientTokenStore, tok localyun.ClientToken, insts ...localyun.Instance) (localyun.ClientToken, bool) {
	t.Helper()
	rec, created, err := st.CreateInstancesWithClientToken(context.Background(), tok, insts)
	if err != nil {
		t.Fatalf("CreateInstancesWithClientToken(%q): %v", tok.Token, err)
	}
	return rec, created
}

func testClientTokens(t *testing.T, open ClientTokenOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, tokA)
	MustCreateAccount(t, st, tokB)
	_, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-1", epoch)
	wantKind(t, err, localyun.ErrNotFound)

	tok := clientToken(tokA, "cn-hangzhou", "t-1", epoch)
	rec, created := mustCreateWithToken(t, st, tok, instance(tokA, "cn-hangzhou", "i-1", ""), instance(tokA, "cn-hangzhou", "i-2", ""))
	want := tok
	want.InstanceIDs = []string{"i-1", "i-2"}
	if !created || !reflect.DeepEqual(rec, want) {
		t.Fatalf("first use = %+v, %v; want %+v, created", rec, created, want)
	}
	got, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-1", epoch.Add(time.Minute))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("FindClientToken = %+v, %v; want %+v", got, err, want)
	}

	// A second use creates nothing and answers the first record.
	again := clientToken(tokA, "cn-hangzhou", "t-1", epoch.Add(time.Minute))
	again.Action = "CreateInstance"
	rec, created = mustCreateWithToken(t, st, again, instance(tokA, "cn-hangzhou", "i-3", ""))
	if created || !reflect.DeepEqual(rec, want) {
		t.Fatalf("second use = %+v, %v; want the first record", rec, created)
	}
	if ids := instanceIDs(t, st, tokA); !reflect.DeepEqual(ids, []string{"i-1", "i-2"}) {
		t.Fatalf("instances after a second use: %v", ids)
	}

	// Tokens are case-sensitive and scoped per account and region.
	for i, tok := range []localyun.ClientToken{clientToken(tokA, "cn-hangzhou", "T-1", epoch),
		clientToken(tokA, "cn-beijing", "t-1", epoch), clientToken(tokB, "cn-hangzhou", "t-1", epoch)} {
		id := fmt.Sprintf("i-scope-%d", i)
		if rec, created := mustCreateWithToken(t, st, tok, instance(tok.AccountID, tok.RegionID, id, "")); !created ||
			!reflect.DeepEqual(rec.InstanceIDs, []string{id}) {
			t.Fatalf("token %q of %s/%s: %+v, %v; want a record of its own", tok.Token, tok.AccountID, tok.RegionID, rec, created)
		}
	}

	// A failed creation records no token.
	dup := clientToken(tokA, "cn-hangzhou", "t-dup", epoch)
	_, _, err = st.CreateInstancesWithClientToken(ctx, dup, []localyun.Instance{instance(tokA, "cn-hangzhou", "i-new", ""),
		instance(tokA, "cn-hangzhou", "i-1", "")})
	wantKind(t, err, localyun.ErrAlreadyExists)
	_, err = st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-dup", epoch)
	wantKind(t, err, localyun.ErrNotFound)
	if ids := instanceIDs(t, st, tokA); len(ids) != 4 {
		t.Fatalf("instances after a failed creation: %v", ids)
	}
}

func testClientTokenExpiry(t *testing.T, open ClientTokenOpener) {
	ctx := context.Background()
	st := open(t)
	MustCreateAccount(t, st, tokA)
	tok := clientToken(tokA, "cn-hangzhou", "t-exp", epoch)
	mustCreateWithToken(t, st, tok, instance(tokA, "cn-hangzhou", "i-1", ""))
	if _, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-exp", tok.ExpiresAt); err != nil {
		t.Fatalf("FindClientToken at ExpiresAt: %v (a record is in force until then, that instant included)", err)
	}
	_, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-exp", tok.ExpiresAt.Add(time.Millisecond))
	wantKind(t, err, localyun.ErrNotFound)
	// Expired records of other tokens do not hold up writes (which delete
	// them, a few at a time) and stay unfound.
	for i := range 3 {
		old := clientToken(tokA, "cn-hangzhou", fmt.Sprintf("t-old-%d", i), epoch)
		mustCreateWithToken(t, st, old, instance(tokA, "cn-hangzhou", fmt.Sprintf("i-old-%d", i), ""))
	}
	// Once expired, the token is free: a new use creates and replaces the record.
	later := clientToken(tokA, "cn-hangzhou", "t-exp", tok.ExpiresAt.Add(time.Millisecond))
	later.Action = "CreateInstance"
	rec, created := mustCreateWithToken(t, st, later, instance(tokA, "cn-hangzhou", "i-2", ""))
	if !created || !reflect.DeepEqual(rec.InstanceIDs, []string{"i-2"}) || rec.Action != "CreateInstance" {
		t.Fatalf("use after expiry = %+v, %v; want a new record", rec, created)
	}
	got, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", "t-exp", later.CreatedAt)
	if err != nil || !got.CreatedAt.Equal(later.CreatedAt) || !reflect.DeepEqual(got.InstanceIDs, []string{"i-2"}) {
		t.Fatalf("FindClientToken after the new use = %+v, %v", got, err)
	}
	for i := range 3 {
		_, err := st.FindClientToken(ctx, tokA, "cn-hangzhou", fmt.Sprintf("t-old-%d", i), later.CreatedAt)
		wantKind(t, err, localyun.ErrNotFound)
	}
}

// testClientTokenConcurrent sends one token from many goroutines at once:
// one set of instances is created and every call answers it.
func testClientTokenConcurrent(t *testing.T, open ClientTokenOpener) {
	st := open(t)
	MustCreateAccount(t, st, tokA)
	const n = 8
	var wg sync.WaitGroup
	recs := make([]localyun.ClientToken, n)
	errs := make([]error, n)
	createdCount := 0
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := clientToken(tokA, "cn-hangzhou", "t-race", epoch)
			insts := []localyun.Instance{instance(tokA, "cn-hangzhou", fmt.Sprintf("i-%d-a", i), ""),
				instance(tokA, "cn-hangzhou", fmt.Sprintf("i-%d-b", i), "")}
			rec, created, err := st.CreateInstancesWithClientToken(context.Background(), tok, insts)
			recs[i], errs[i] = rec, err
			if created {
				mu.Lock()
				createdCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !reflect.DeepEqual(recs[i].InstanceIDs, recs[0].InstanceIDs) {
			t.Fatalf("call %d answered %v, call 0 %v", i, recs[i].InstanceIDs, recs[0].InstanceIDs)
		}
	}
	if ids := instanceIDs(t, st, tokA); createdCount != 1 || !reflect.DeepEqual(ids, recs[0].InstanceIDs) {
		t.Fatalf("%d calls created; the store holds %v, the answer is %v", createdCount, ids, recs[0].InstanceIDs)
	}
}
