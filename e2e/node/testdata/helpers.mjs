// Shared helpers of the Node SDK suite: the server's address and keys (from
// the environment node_test.go sets), client constructors for each SDK, and
// ways to read the error each SDK throws.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import RPCClient from '@alicloud/pop-core';
import OpenApi, * as $OpenApi from '@alicloud/openapi-client';
import { $OpenApiUtil } from '@alicloud/openapi-core';

function required(name) {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run this suite through e2e/node/node_test.go (go test ./e2e/node)`);
  return v;
}

/** The plain-HTTP endpoint, "127.0.0.1:PORT". */
export const endpoint = required('LOCALYUN_ENDPOINT');
/** The HTTPS endpoint (host:port). */
export const tlsEndpoint = required('LOCALYUN_TLS_ENDPOINT');
export const accountId = required('LOCALYUN_ACCOUNT_ID');
/** The seeded account's root key. */
export const root = { id: required('LOCALYUN_ACCESS_KEY_ID'), secret: required('LOCALYUN_ACCESS_KEY_SECRET') };
export const region = 'cn-hangzhou';

// Seeded objects (see node_test.go's seed).
export const seed = {
  ecsRole: 'EcsAppRole',
  ecsOtherRole: 'EcsOtherRole',
  vpcInstance: 'i-nodeseed0000000001',
  classicInstance: 'i-nodeseed0000000002',
  bastion: 'bastionhost-cn-node0000001',
};

/** A name no other test file (or run) uses. */
export function uniq(prefix) {
  return prefix + randomBytes(4).toString('hex');
}

/** A pop-core (V1 HMAC-SHA1 RPC) client for apiVersion with key {id, secret, token?}. */
export function pop(apiVersion, key = root) {
  return new RPCClient({
    endpoint: 'http://' + endpoint,
    apiVersion,
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    securityToken: key.token,
  });
}

/** Calls action with pop-core as a form POST; returns the raw JSON body. */
export function popCall(client, action, params = {}) {
  return client.request(action, params, { method: 'POST', timeout: 10000 });
}

/** An @alicloud/openapi-client client (V3 ACS3-HMAC-SHA256 signatures for callApi). */
export function openapi(key = root, extra = {}) {
  return new OpenApi.default(new $OpenApi.Config({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    securityToken: key.token,
    endpoint,
    protocol: 'http',
    regionId: region,
    ...extra,
  }));
}

/**
 * Calls an RPC action through openapi-client callApi (V3 signature) and
 * returns the raw body: parsed JSON, or the text when bodyType is 'string'.
 */
export async function v3Call(client, version, action, query = {}, bodyType = 'json') {
  const params = new $OpenApi.Params({
    action, version, protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK',
    style: 'RPC', reqBodyType: 'formData', bodyType,
  });
  const q = {};
  for (const [k, v] of Object.entries(query)) q[k] = String(v);
  const res = await client.callApi(params, new $OpenApi.OpenApiRequest({ query: q }), { readTimeout: 10000 });
  assert.equal(res.statusCode, 200);
  return res.body;
}

/** The Config of the typed Tea clients (@alicloud/ecs20140526, ram20150501, sts20150401). */
export function teaConfig(key = root, extra = {}) {
  return new $OpenApiUtil.Config({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    securityToken: key.token,
    endpoint,
    protocol: 'http',
    regionId: region,
    readTimeout: 10000,
    ...extra,
  });
}

/**
 * Awaits p, which must fail; returns {code, status} as the SDK surfaces
 * them: pop-core's err.code and the HTTP status of err.entry, or a Tea
 * error's code and statusCode.
 */
export async function failure(p) {
  try {
    await p;
  } catch (err) {
    if (err.entry) return { code: err.code, status: err.entry.response.statusCode, err };
    return { code: err.code, status: err.statusCode ?? err.data?.statusCode, err };
  }
  assert.fail('the call succeeded; it should have failed');
}

/** Asserts a call fails with code and HTTP status. */
export async function rejects(p, code, status) {
  const f = await failure(p);
  assert.deepEqual({ code: f.code, status: f.status }, { code, status }, String(f.err?.stack ?? f.err));
  return f.err;
}

/** Asserts value is a non-empty string. */
export function str(value, what) {
  assert.equal(typeof value, 'string', `${what}: ${JSON.stringify(value)} is not a string`);
  assert.notEqual(value, '', `${what} is empty`);
  return value;
}

/** Asserts value is a (JSON) number, and equal to want when given. */
export function num(value, what, want) {
  assert.equal(typeof value, 'number', `${what}: ${JSON.stringify(value)} is not a number`);
  if (want !== undefined) assert.equal(value, want, what);
  return value;
}

/** Asserts value is a (JSON) boolean equal to want. */
export function bool(value, what, want) {
  assert.equal(typeof value, 'boolean', `${what}: ${JSON.stringify(value)} is not a boolean`);
  assert.equal(value, want, what);
}

/** Asserts a RequestId of Alibaba's shape. */
export function requestId(body) {
  assert.match(str(body.RequestId ?? body.requestId, 'RequestId'), /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
}
