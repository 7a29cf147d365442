// @alicloud/credentials: the access-key and static STS providers signing
// calls of every SDK, and the RAMRoleARN provider, which calls STS over
// HTTPS only (the server's TLS listener, trusted through NODE_EXTRA_CA_CERTS).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import Credential, * as $cred from '@alicloud/credentials';
import Ecs, * as $ecs from '@alicloud/ecs20140526';
import Sts from '@alicloud/sts20150401';
import RPCClient from '@alicloud/pop-core';

import {
  endpoint, tlsEndpoint, root, pop, popCall, openapi, v3Call, teaConfig, rejects, str, num,
  accountId, region, seed, uniq,
} from './helpers.mjs';

const ECS = '2014-05-26';

test('access_key provider signs pop-core, openapi-client and typed calls', async () => {
  const cred = new Credential.default(new $cred.Config({ type: 'access_key', accessKeyId: root.id, accessKeySecret: root.secret }));
  const m = await cred.getCredential();
  assert.equal(m.accessKeyId, root.id);
  assert.equal(m.type, 'access_key');

  // Typed client with the credential object (V3 signature).
  const ecs = new Ecs.default(teaConfig({}, { credential: cred }));
  const r = await ecs.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({
    regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]),
  }));
  num(r.body.totalCount, 'typed totalCount', 1);

  // openapi-client callApi with the credential object.
  const body = await v3Call(openapi({}, { credential: cred }), ECS, 'DescribeRegions', {});
  assert.ok(body.Regions.Region.some((x) => x.RegionId === region));

  // pop-core with a credentials provider of the package (V1 signature).
  const provider = $cred.StaticAKCredentialsProvider.builder().withAccessKeyId(root.id).withAccessKeySecret(root.secret).build();
  const c = new RPCClient({ endpoint: 'http://' + endpoint, apiVersion: ECS, credentialsProvider: provider });
  const rr = await c.request('DescribeInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) }, { method: 'POST' });
  assert.equal(rr.InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName, seed.ecsRole);

  // A wrong secret: SignatureDoesNotMatch with its status.
  const bad = new Credential.default(new $cred.Config({ type: 'access_key', accessKeyId: root.id, accessKeySecret: 'wrong' + root.secret }));
  await rejects(new Ecs.default(teaConfig({}, { credential: bad })).describeRegions(new $ecs.DescribeRegionsRequest({})),
    'SignatureDoesNotMatch', 400);
});

/** A user allowed to assume a role that may only read instance RAM roles. */
async function userAndRole(prefix) {
  const ram = pop('2015-05-01');
  const user = uniq(prefix);
  await popCall(ram, 'CreateUser', { UserName: user });
  await popCall(ram, 'CreatePolicy', {
    PolicyName: user + '-p',
    PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
  });
  await popCall(ram, 'AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: user + '-p', UserName: user });
  const k = (await popCall(ram, 'CreateAccessKey', { UserName: user })).AccessKey;
  const role = await popCall(ram, 'CreateRole', {
    RoleName: user + '-r',
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${accountId}:user/${user}`] } }],
    }),
  });
  await popCall(ram, 'CreatePolicy', {
    PolicyName: user + '-rp',
    PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'ecs:DescribeInstanceRamRole', Resource: '*' }] }),
  });
  await popCall(ram, 'AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: user + '-rp', RoleName: user + '-r' });
  return { user, key: { id: k.AccessKeyId, secret: k.AccessKeySecret }, arn: role.Role.Arn };
}

test('sts provider (a static STS token) signs calls as the role', async () => {
  const { key, arn } = await userAndRole('node-cred-sts-');
  const a = (await popCall(pop('2015-04-01', key), 'AssumeRole', { RoleArn: arn, RoleSessionName: 'static' })).Credentials;
  const cred = new Credential.default(new $cred.Config({
    type: 'sts', accessKeyId: a.AccessKeyId, accessKeySecret: a.AccessKeySecret, securityToken: a.SecurityToken,
  }));
  const ecs = new Ecs.default(teaConfig({}, { credential: cred }));
  const r = await ecs.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({ regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]) }));
  num(r.body.totalCount, 'totalCount as the role', 1);
  await rejects(ecs.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region })), 'Forbidden.RAM', 403);
});

test('ram_role_arn provider assumes a role over HTTPS, refreshes, and signs calls as the role', async (t) => {
  assert.ok(tlsEndpoint, 'LOCALYUN_TLS_ENDPOINT names the HTTPS listener');
  assert.ok(process.env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS names the server CA');
  const { user, key, arn } = await userAndRole('node-cred-arn-');
  const cred = new Credential.default(new $cred.Config({
    type: 'ram_role_arn', accessKeyId: key.id, accessKeySecret: key.secret, roleArn: arn,
    roleSessionName: 'node-arn', roleSessionExpiration: 900, stsEndpoint: tlsEndpoint,
  }));
  const first = await cred.getCredential();
  assert.match(str(first.accessKeyId, 'session AccessKeyId'), /^STS\./);
  str(first.securityToken, 'session SecurityToken');
  // A 900 s session is within the provider's 15-minute stale window, so the
  // next use refreshes it: a new AssumeRole over HTTPS, a new session key.
  const second = await cred.getCredential();
  assert.notEqual(second.accessKeyId, first.accessKeyId);

  // Calls signed by the provider (plain HTTP endpoint) are the role's.
  const ecs = new Ecs.default(teaConfig({}, { credential: cred }));
  const r = await ecs.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({ regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]) }));
  num(r.body.totalCount, 'totalCount as the role', 1);
  await rejects(ecs.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region })), 'Forbidden.RAM', 403);
  const id = await new Sts.default(teaConfig({}, { credential: cred })).getCallerIdentity();
  assert.equal(id.body.arn, `acs:ram::${accountId}:assumed-role/${user}-r/node-arn`);

  // The provider API with pop-core.
  const provider = $cred.RAMRoleARNCredentialsProvider.builder()
    .withCredentialsProvider($cred.StaticAKCredentialsProvider.builder().withAccessKeyId(key.id).withAccessKeySecret(key.secret).build())
    .withRoleArn(arn).withRoleSessionName('node-arn-pop').withDurationSeconds(900).withStsEndpoint(tlsEndpoint).build();
  const c = new RPCClient({ endpoint: 'http://' + endpoint, apiVersion: ECS, credentialsProvider: provider });
  const rr = await c.request('DescribeInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) }, { method: 'POST' });
  num(rr.TotalCount, 'pop-core TotalCount as the role', 1);

  // The provider over HTTPS also works against the HTTPS endpoint for the calls.
  const tls = new Ecs.default(teaConfig({}, { credential: cred, endpoint: tlsEndpoint, protocol: 'https' }));
  const rt = await tls.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({ regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]) }));
  num(rt.body.totalCount, 'totalCount over HTTPS', 1);
});
