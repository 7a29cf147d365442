// Instance metadata credentials (issue 14) from Node.
//
// What the Node @alicloud/credentials 2.4.7 providers can and cannot do
// against localyun, found by reading them:
// - The ECS RAM role provider sends every request through httpx, which
//   uses an http.Agent of its own: Node (20 here) does not honour
//   HTTP_PROXY for it, and NODE_USE_ENV_PROXY (Node 24) covers only the
//   global agent. So it would dial 100.100.100.200 itself: it is not run
//   here, and README says so.
// - The credentials URI provider also goes through httpx, which builds the
//   request from the URL's host, port and path and drops its userinfo: the
//   instance's Basic credentials never reach the server, which answers 401.
// What works: the instance's credentials fetched with Node's own fetch and
// Basic credentials, used through the static STS provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import Credential, * as $cred from '@alicloud/credentials';
import Ecs, * as $ecs from '@alicloud/ecs20140526';

import { endpoint, teaConfig, rejects, str, num, pop, popCall, region } from './helpers.mjs';

const uri = process.env.LOCALYUN_METADATA_URI; // `localyun metadata-url --credentials-uri` of metaInstance
const metaInstance = 'i-nodemeta0000000001'; // role NodeMetadataRole: ecs:DescribeInstances only (node_test.go)

/** GETs the credentials URI with its userinfo as Authorization: Basic. */
async function fetchCredentials() {
  const u = new URL(uri);
  const auth = Buffer.from(decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password)).toString('base64');
  u.username = '';
  u.password = '';
  const res = await fetch(u, { headers: { authorization: 'Basic ' + auth } });
  return { status: res.status, body: await res.text() };
}

test('credentials_uri provider: httpx drops the URL userinfo, so the server answers 401', async () => {
  assert.ok(uri, 'LOCALYUN_METADATA_URI is set by node_test.go');
  assert.equal(new URL(uri).host, endpoint);
  const cred = new Credential.default(new $cred.Config({ type: 'credentials_uri', credentialsURI: uri }));
  await assert.rejects(cred.getCredential(), /httpStatus: 401/);
});

test('the instance role credentials sign Node SDK calls as the role, until the role is detached', async () => {
  const got = await fetchCredentials();
  assert.equal(got.status, 200, got.body);
  const c = JSON.parse(got.body);
  assert.equal(c.Code, 'Success');
  assert.match(str(c.AccessKeyId, 'AccessKeyId'), /^STS\./);
  assert.match(str(c.Expiration, 'Expiration'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const held = new Credential.default(new $cred.Config({
    type: 'sts', accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken,
  }));
  const ecs = new Ecs.default(teaConfig({}, { credential: held }));
  const r = await ecs.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region, instanceIds: JSON.stringify([metaInstance]) }));
  num(r.body.totalCount, 'DescribeInstances as the role', 1);
  await rejects(ecs.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({
    regionId: region, instanceIds: JSON.stringify([metaInstance]),
  })), 'Forbidden.RAM', 403);

  await popCall(pop('2014-05-26'), 'DetachInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([metaInstance]) });
  const after = await fetchCredentials();
  assert.equal(after.status, 404, `the credentials path after the detach: ${after.status} ${after.body}`);
  // --revocation tail (the driver's server): held credentials work until
  // their Expiration.
  const still = await ecs.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region, instanceIds: JSON.stringify([metaInstance]) }));
  num(still.body.totalCount, 'DescribeInstances with held credentials after the detach (tail)', 1);
});
