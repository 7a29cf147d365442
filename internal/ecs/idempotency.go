package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/protocol"
)

// ClientToken idempotency of the actions that create instances
// (RunInstances, CreateInstance). A request with a ClientToken creates its
// instances and records the token with them in one store transaction; a
// later request of the same account and region with the same token, while
// the record is in force (ClientTokenRetention), creates nothing: it gets
// the instances the first one created when it is the same action with the
// same parameters, else IdempotentParameterMismatch. Retries are answered
// after the action's RAM authorization, like any request, but without the
// creation's own checks (the RAM role, ram:PassRole): they pass nothing
// and create nothing. Each answer has its own RequestId.

// ClientTokenRetention is how long a ClientToken stays bound to the
// instances it created. ECS documents no limit; a day covers every retry
// of an SDK, Terraform or a CI job, and after it the token may be used
// again.
const ClientTokenRetention = 24 * time.Hour

// clientTokenParam reads the optional ClientToken: at most 64 printable
// ASCII characters (ECS: "ASCII characters", case-sensitive; control
// characters are refused as well). "" is no token.
func clientTokenParam(r *protocol.Request) (string, error) {
	t := r.Get("ClientToken")
	if len(t) > 64 {
		return "", errClientToken
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] > 0x7e {
			return "", errClientToken
		}
	}
	return t, nil
}

// creation is one request that creates instances.
type creation struct {
	action string
	run    RunInstancesInput // the instances' parameters, ClientToken and DryRun
	status string            // the first status of the instances
	sum    [sha256.Size]byte // paramsDigest of the action's input
}

// createInstances serves a creation: the instances a ClientToken in force
// names, or new ones (see newInstances), or DryRunOperation when DryRun is
// set and the request would succeed.
func (s *Service) createInstances(ctx context.Context, c creation) ([]string, error) {
	account, now := accountOf(ctx), s.opts.Now().UTC()
	if c.run.ClientToken != "" {
		rec, err := s.store.FindClientToken(ctx, account, c.run.RegionID, c.run.ClientToken, now)
		switch {
		case err == nil:
			return c.replay(rec)
		case !errors.Is(err, localyun.ErrNotFound):
			return nil, err
		}
	}
	insts, err := s.newInstances(ctx, c.run.InstanceSpec, c.run.Amount, c.status, now)
	if err != nil {
		return nil, err
	}
	if c.run.DryRun {
		return nil, errDryRunOperation
	}
	for _, in := range insts { // the audit event names the new instances
		localyun.AddEventResources(ctx, "ACS::ECS::Instance", in.ID)
	}
	if c.run.ClientToken == "" {
		ids := make([]string, len(insts))
		for i, in := range insts {
			ids[i] = in.ID
		}
		return ids, s.store.CreateInstances(ctx, insts)
	}
	rec, created, err := s.store.CreateInstancesWithClientToken(ctx, localyun.ClientToken{AccountID: account,
		RegionID: c.run.RegionID, Token: c.run.ClientToken, Action: c.action, ParamsSum: c.sum,
		CreatedAt: now, ExpiresAt: now.Add(ClientTokenRetention)}, insts)
	if err != nil {
		return nil, err
	}
	if !created { // a concurrent request with the token won
		return c.replay(rec)
	}
	return rec.InstanceIDs, nil
}

// replay is the answer of a creation to the record of its token.
func (c creation) replay(rec localyun.ClientToken) ([]string, error) {
	if rec.Action != c.action || rec.ParamsSum != c.sum {
		return nil, errIdempotentParams
	}
	if c.run.DryRun {
		return nil, errDryRunOperation
	}
	return slices.Clone(rec.InstanceIDs), nil
}

// paramsDigest is the SHA-256 of an action's name and the canonical form
// of its parsed input (see canonical): two requests have the same digest
// when they mean the same, however their parameters were spelled or
// ordered. Fields named ClientToken and DryRun are left out. A field with
// its zero value counts as absent, so adding a field to an input does not
// change the digests of the requests that leave it unset (a record made
// before an upgrade still matches its retry).
func paramsDigest(action string, in any) [sha256.Size]byte {
	b, err := json.Marshal(canonical(reflect.ValueOf(in)))
	if err != nil { // inputs hold strings, numbers, booleans and lists of them
		panic(fmt.Sprintf("ecs: the digest of a %T: %v", in, err))
	}
	return sha256.Sum256(append([]byte(action+"\x00"), b...))
}

// canonical turns v into maps (of the non-zero fields of structs, with the
// fields of embedded structs merged; JSON sorts their keys), lists and
// plain values.
func canonical(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Struct:
		m := map[string]any{}
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			switch {
			case !f.IsExported() || fv.IsZero() || f.Name == "ClientToken" || f.Name == "DryRun":
			case f.Anonymous && fv.Kind() == reflect.Struct:
				for k, x := range canonical(fv).(map[string]any) {
					m[k] = x
				}
			default:
				m[f.Name] = canonical(fv)
			}
		}
		return m
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonical(v.Index(i))
		}
		return out
	case reflect.Map:
		m := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			m[fmt.Sprint(it.Key().Interface())] = canonical(it.Value())
		}
		return m
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return canonical(v.Elem())
	case reflect.Invalid:
		return nil
	default:
		return v.Interface()
	}
}
