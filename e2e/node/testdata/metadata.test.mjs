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
//   Basic form of the URI (`localyun metadata-url --credentials-uri`) gets
//   401. The path form (`--credentials-uri --path-secret`,
//   /localyun/instance-credentials/<id>/<secret>) reaches the server
//   whole: that is the URI node_test.go passes, and the unmodified
//   provider is run with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import Credential, * as $cred from '@alicloud/credentials';
import Ecs, * as $ecs from '@alicloud/ecs20140526';

import { endpoint, teaConfig, rejects, num, pop, popCall, region } from './helpers.mjs';

const uri = process.env.LOCALYUN_METADATA_URI; // `localyun metadata-url --credentials-uri --path-secret` of metaInstance
const metaInstance = 'i-nodemeta0000000001'; // role NodeMetadataRole: ecs:DescribeInstances only (node_test.go)

/** An unmodified credentials_uri provider of credentialsURI. */
function uriCredential(credentialsURI) {
  return new Credential.default(new $cred.Config({ type: 'credentials_uri', credentialsURI }));
}

/** The Basic (userinfo) form of the path-form URI. */
function basicForm() {
  const u = new URL(uri);
  const [, , , id, secret] = u.pathname.split('/'); // /localyun/instance-credentials/<id>/<secret>
  u.pathname = '/localyun/instance-credentials';
  u.username = id;
  u.password = secret;
  return u.toString();
}

test('credentials_uri provider, Basic form: httpx drops the URL userinfo, so the server answers 401', async () => {
  assert.ok(uri, 'LOCALYUN_METADATA_URI is set by node_test.go');
  assert.equal(new URL(uri).host, endpoint);
  await assert.rejects(uriCredential(basicForm()).getCredential(), /httpStatus: 401/);
});

test('credentials_uri provider, secret in the path: the role credentials sign Node SDK calls until the role is detached', async () => {
  assert.match(new URL(uri).pathname, /^\/localyun\/instance-credentials\/i-[a-z0-9]+\/[a-z0-9]+$/);
  const cred = uriCredential(uri);
  const c = await cred.getCredential();
  assert.equal(c.providerName, 'credential_uri');
  assert.match(c.accessKeyId, /^STS\./);
  assert.ok(c.securityToken, 'a SecurityToken');
  const ecs = new Ecs.default(teaConfig({}, { credential: cred }));
  const describe = () => ecs.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region, instanceIds: JSON.stringify([metaInstance]) }));
  num((await describe()).body.totalCount, 'DescribeInstances as the role', 1);
  await rejects(ecs.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({
    regionId: region, instanceIds: JSON.stringify([metaInstance]),
  })), 'Forbidden.RAM', 403);

  await popCall(pop('2014-05-26'), 'DetachInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([metaInstance]) });
  // A provider fetching now (a new one: this one keeps its session until
  // 15 minutes before Expiration) gets the 404 of the detached role.
  await assert.rejects(uriCredential(uri).getCredential(), /httpStatus: 404, message = Instance i-nodemeta0000000001 has no RAM role attached/);
  // --revocation tail (the driver's server): the credentials the first
  // provider holds work until their Expiration.
  assert.equal((await cred.getCredential()).accessKeyId, c.accessKeyId);
  num((await describe()).body.totalCount, 'DescribeInstances with held credentials after the detach (tail)', 1);
});
