// RAM and STS through the typed @alicloud/ram20150501 / sts20150401 clients
// and pop-core: a user with a custom policy and its own key, one allowed and
// one denied call as that user, a role trusting the user, AssumeRole, and
// calls signed with the session's token that are authorized as the role.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import Ram, * as $ram from '@alicloud/ram20150501';
import Sts, * as $sts from '@alicloud/sts20150401';
import Ecs, * as $ecs from '@alicloud/ecs20140526';

import {
  pop, popCall, openapi, v3Call, teaConfig, rejects, str, num, bool, requestId, accountId, region, seed, uniq,
} from './helpers.mjs';

const ECS = '2014-05-26';
const RAM = '2015-05-01';
const STS = '2015-04-01';

/** The user may list instances and assume roles; nothing else. */
const userPolicy = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['ecs:DescribeInstances', 'sts:AssumeRole'], Resource: '*' }],
});
/** The role may read instance RAM roles; nothing else (not DescribeInstances). */
const rolePolicy = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'ecs:DescribeInstanceRamRole', Resource: '*' }],
});
const trustUser = (user) => JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${accountId}:user/${user}`] } }],
});

test('RAM and STS through the typed clients', async () => {
  const ram = new Ram.default(teaConfig());
  const user = uniq('node-typed-');

  const cu = await ram.createUser(new $ram.CreateUserRequest({ userName: user, displayName: 'Node typed' }));
  assert.equal(cu.statusCode, 200);
  requestId(cu.body);
  assert.equal(cu.body.user.userName, user);
  str(cu.body.user.userId, 'User.UserId');
  const cp = await ram.createPolicy(new $ram.CreatePolicyRequest({ policyName: user + '-p', policyDocument: userPolicy }));
  assert.equal(cp.body.policy.policyType, 'Custom');
  assert.equal(cp.body.policy.defaultVersion, 'v1');
  await ram.attachPolicyToUser(new $ram.AttachPolicyToUserRequest({ policyType: 'Custom', policyName: user + '-p', userName: user }));
  const ck = await ram.createAccessKey(new $ram.CreateAccessKeyRequest({ userName: user }));
  assert.equal(ck.body.accessKey.status, 'Active');
  const userKey = { id: str(ck.body.accessKey.accessKeyId, 'AccessKeyId'), secret: str(ck.body.accessKey.accessKeySecret, 'AccessKeySecret') };

  // As the user: DescribeInstances is allowed, AttachInstanceRamRole denied.
  const ecsAsUser = new Ecs.default(teaConfig(userKey));
  const di = await ecsAsUser.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region }));
  num(di.body.totalCount, 'DescribeInstances totalCount as the user');
  const denied = await rejects(ecsAsUser.attachInstanceRamRole(new $ecs.AttachInstanceRamRoleRequest({
    regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]), ramRoleName: seed.ecsOtherRole,
  })), 'Forbidden.RAM', 403);
  assert.equal(denied.accessDeniedDetail?.AuthAction, 'ecs:AttachInstanceRamRole');

  // A role trusting the user, with its own policy.
  const cr = await ram.createRole(new $ram.CreateRoleRequest({
    roleName: user + '-r', assumeRolePolicyDocument: trustUser(user), description: 'assumed from Node', maxSessionDuration: 3600,
  }));
  const arn = cr.body.role.arn;
  assert.equal(arn, `acs:ram::${accountId}:role/${user}-r`);
  num(cr.body.role.maxSessionDuration, 'Role.MaxSessionDuration', 3600);
  await ram.createPolicy(new $ram.CreatePolicyRequest({ policyName: user + '-rp', policyDocument: rolePolicy }));
  await ram.attachPolicyToRole(new $ram.AttachPolicyToRoleRequest({ policyType: 'Custom', policyName: user + '-rp', roleName: user + '-r' }));

  // AssumeRole as the user.
  const sts = new Sts.default(teaConfig(userKey));
  const ar = await sts.assumeRole(new $sts.AssumeRoleRequest({ roleArn: arn, roleSessionName: 'node-typed', durationSeconds: 900 }));
  const c = ar.body.credentials;
  assert.match(str(c.accessKeyId, 'Credentials.AccessKeyId'), /^STS\./);
  str(c.securityToken, 'Credentials.SecurityToken');
  assert.ok(Date.parse(str(c.expiration, 'Credentials.Expiration')) > Date.now());
  assert.equal(ar.body.assumedRoleUser.arn, `${arn}/node-typed`);
  const session = { id: c.accessKeyId, secret: c.accessKeySecret, token: c.securityToken };

  // GetCallerIdentity with the token: the assumed role.
  const gi = await new Sts.default(teaConfig(session)).getCallerIdentity();
  assert.equal(gi.body.identityType, 'AssumedRoleUser');
  assert.equal(gi.body.accountId, accountId);
  assert.equal(gi.body.arn, `acs:ram::${accountId}:assumed-role/${user}-r/node-typed`);

  // Calls with the token are authorized as the role: its action is allowed,
  // the user's own DescribeInstances is not.
  const ecsAsRole = new Ecs.default(teaConfig(session));
  const dr = await ecsAsRole.describeInstanceRamRole(new $ecs.DescribeInstanceRamRoleRequest({
    regionId: region, instanceIds: JSON.stringify([seed.vpcInstance]),
  }));
  num(dr.body.totalCount, 'DescribeInstanceRamRole as the role', 1);
  await rejects(ecsAsRole.describeInstances(new $ecs.DescribeInstancesRequest({ regionId: region })), 'Forbidden.RAM', 403);

  // The same token through pop-core (V1, SecurityToken parameter) and
  // openapi-client (V3, x-acs-security-token header).
  const popRole = pop(ECS, session);
  const body = await popCall(popRole, 'DescribeInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) });
  num(body.TotalCount, 'pop-core DescribeInstanceRamRole TotalCount', 1);
  await rejects(popCall(popRole, 'DescribeInstances', { RegionId: region }), 'Forbidden.RAM', 403);
  const v3Role = openapi(session);
  num((await v3Call(v3Role, ECS, 'DescribeInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) })).TotalCount,
    'V3 DescribeInstanceRamRole TotalCount', 1);
  await rejects(v3Call(v3Role, ECS, 'DescribeInstances', { RegionId: region }), 'Forbidden.RAM', 403);
  const id = await v3Call(v3Role, STS, 'GetCallerIdentity');
  assert.equal(id.IdentityType, 'AssumedRoleUser');

  // A tampered token is refused.
  await rejects(popCall(pop(ECS, { ...session, token: session.token + 'x' }), 'DescribeInstanceRamRole',
    { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) }), 'InvalidSecurityToken.Malformed', 400);
});

test('RAM and STS through pop-core (V1), raw JSON', async () => {
  const ram = pop(RAM);
  const user = uniq('node-pop-');

  let body = await popCall(ram, 'CreateUser', { UserName: user, DisplayName: 'Node pop' });
  requestId(body);
  assert.equal(body.User.UserName, user);
  str(body.User.UserId, 'User.UserId');
  str(body.User.CreateDate, 'User.CreateDate');

  body = await popCall(ram, 'CreatePolicy', { PolicyName: user + '-p', PolicyDocument: userPolicy, Description: 'node' });
  assert.equal(body.Policy.PolicyName, user + '-p');
  assert.equal(body.Policy.PolicyType, 'Custom');
  await popCall(ram, 'AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: user + '-p', UserName: user });
  body = await popCall(ram, 'ListPoliciesForUser', { UserName: user });
  assert.deepEqual(body.Policies.Policy.map((p) => p.PolicyName), [user + '-p']);
  body = await popCall(ram, 'GetPolicy', { PolicyType: 'Custom', PolicyName: user + '-p' });
  num(body.Policy.AttachmentCount, 'Policy.AttachmentCount', 1);
  bool(body.DefaultPolicyVersion.IsDefaultVersion, 'IsDefaultVersion', true);
  body = await popCall(ram, 'ListUsers', { MaxItems: 1 });
  bool(body.IsTruncated, 'ListUsers IsTruncated', true);
  str(body.Marker, 'ListUsers Marker');
  assert.equal(body.Users.User.length, 1);

  body = await popCall(ram, 'CreateAccessKey', { UserName: user });
  assert.equal(body.AccessKey.Status, 'Active');
  const userKey = { id: str(body.AccessKey.AccessKeyId, 'AccessKeyId'), secret: str(body.AccessKey.AccessKeySecret, 'AccessKeySecret') };

  // As the user: allowed, then denied (ECS and RAM denials).
  const ecsUser = pop(ECS, userKey);
  body = await popCall(ecsUser, 'DescribeInstances', { RegionId: region, PageSize: 1 });
  num(body.TotalCount, 'DescribeInstances TotalCount as the user');
  num(body.PageSize, 'DescribeInstances PageSize', 1);
  const denied = await rejects(popCall(ecsUser, 'DetachInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) }),
    'Forbidden.RAM', 403);
  assert.equal(denied.data.AccessDeniedDetail.AuthAction, 'ecs:DetachInstanceRamRole');
  await rejects(popCall(pop(RAM, userKey), 'CreateUser', { UserName: uniq('nope-') }), 'NoPermission', 403);

  // GetCallerIdentity as the user.
  body = await popCall(pop(STS, userKey), 'GetCallerIdentity');
  assert.equal(body.IdentityType, 'RAMUser');
  assert.equal(body.Arn, `acs:ram::${accountId}:user/${user}`);
  assert.equal(body.AccountId, accountId);

  // CreateRole with a trust policy naming the user; AssumeRole as the user.
  body = await popCall(ram, 'CreateRole', { RoleName: user + '-r', AssumeRolePolicyDocument: trustUser(user), MaxSessionDuration: 7200 });
  assert.equal(body.Role.RoleName, user + '-r');
  num(body.Role.MaxSessionDuration, 'Role.MaxSessionDuration', 7200);
  assert.deepEqual(JSON.parse(body.Role.AssumeRolePolicyDocument), JSON.parse(trustUser(user)));
  await popCall(ram, 'CreatePolicy', { PolicyName: user + '-rp', PolicyDocument: rolePolicy });
  await popCall(ram, 'AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: user + '-rp', RoleName: user + '-r' });

  body = await popCall(pop(STS, userKey), 'AssumeRole', { RoleArn: body.Role.Arn, RoleSessionName: 'node-pop', DurationSeconds: 900 });
  requestId(body);
  const c = body.Credentials;
  str(c.Expiration, 'Credentials.Expiration');
  const session = { id: str(c.AccessKeyId, 'AccessKeyId'), secret: str(c.AccessKeySecret, 'AccessKeySecret'), token: str(c.SecurityToken, 'SecurityToken') };
  body = await popCall(pop(ECS, session), 'DescribeInstanceRamRole', { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) });
  assert.equal(body.InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName, seed.ecsRole);
  await rejects(popCall(pop(ECS, session), 'DescribeInstances', { RegionId: region }), 'Forbidden.RAM', 403);

  // Errors surface with their code and HTTP status.
  await rejects(popCall(ram, 'CreateUser', { UserName: user }), 'EntityAlreadyExists.User', 409);
  await rejects(popCall(ram, 'GetUser', { UserName: uniq('ghost-') }), 'EntityNotExist.User', 404);
});
