// The Bastionhost seed flow on V1 (pop-core, apiVersion 2019-12-09) and V3
// (openapi-client callApi): the seeded hosts and host accounts are granted
// to the seeded user group, listed, revoked account by account and host by
// host (DetachHostAccountsFromUserGroup; 2019-12-09 has no
// DetachHostsFromUserGroup), and listed again. Ids are strings and
// TotalCount a number, as in Alibaba's models.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { pop, popCall, openapi, v3Call, rejects, str, num, bool, requestId, seed } from './helpers.mjs';

const VERSION = '2019-12-09';
const I = seed.bastion;

/** params with RegionId and, but for DescribeInstances, the seeded InstanceId. */
function scoped(action, params) {
  return action === 'DescribeInstances' ? { RegionId: 'cn-hangzhou', ...params } : { InstanceId: I, RegionId: 'cn-hangzhou', ...params };
}

const callers = {
  'pop-core V1': () => {
    const c = pop(VERSION);
    return (action, params) => popCall(c, action, scoped(action, params));
  },
  'openapi-client V3': () => {
    const c = openapi();
    return (action, params) => v3Call(c, VERSION, action, scoped(action, params));
  },
};

// The tests of this file run one after the other; each leaves the grants as
// the seed made them (none).
for (const [name, make] of Object.entries(callers)) {
  test(`Bastionhost seed flow, ${name}`, async () => {
    const call = make();
    const w = await seeded(call);

    // The seeded instance.
    const inst = await call('DescribeInstances', { 'InstanceId.1': I });
    num(inst.TotalCount, 'DescribeInstances TotalCount', 1);
    assert.equal(inst.Instances[0].InstanceStatus, 'RUNNING');
    num(inst.Instances[0].StartTime, 'StartTime');
    bool(inst.Instances[0].PublicNetworkAccess, 'PublicNetworkAccess', true);

    // The seeded group and its member.
    let body = await call('ListUsers', { UserGroupId: w.ops });
    num(body.TotalCount, 'ListUsers TotalCount', 1);
    assert.equal(body.Users[0].UserName, 'bob');

    // Grant web-1's two accounts and db-1 (host only) to the group.
    body = await call('AttachHostAccountsToUserGroup', {
      UserGroupId: w.ops,
      Hosts: JSON.stringify([{ HostId: w.web, HostAccountIds: [w.webRoot, w.webDeploy] }, { HostId: w.db }]),
    });
    requestId(body);
    assert.deepEqual(body.Results.map((r) => [r.HostId, r.UserGroupId, r.Code]), [[w.web, w.ops, 'OK'], [w.db, w.ops, 'OK']]);
    assert.deepEqual(body.Results[0].HostAccounts.map((a) => [a.HostAccountId, a.Code]), [[w.webRoot, 'OK'], [w.webDeploy, 'OK']]);
    assert.deepEqual(body.Results[1].HostAccounts, []);

    body = await call('ListHostsForUserGroup', { UserGroupId: w.ops });
    requestId(body);
    num(body.TotalCount, 'ListHostsForUserGroup TotalCount', 2);
    assert.deepEqual(body.Hosts.map((h) => [str(h.HostId, 'HostId'), h.HostName]), [[w.web, 'web-1'], [w.db, 'db-1']]);
    body = await call('ListHostAccountsForUserGroup', { UserGroupId: w.ops, HostId: w.web });
    num(body.TotalCount, 'ListHostAccountsForUserGroup TotalCount', 2);
    for (const a of body.HostAccounts) bool(a.IsAuthorized, `IsAuthorized of ${a.HostAccountName}`, true);
    body = await call('ListHostAccountsForUserGroup', { UserGroupId: w.ops, HostId: w.db });
    assert.deepEqual(body.HostAccounts.map((a) => [a.HostAccountName, a.IsAuthorized]), [['root', false]]);

    // Revoke one account of web-1; again: already revoked.
    const revokeDeploy = { UserGroupId: w.ops, Hosts: JSON.stringify([{ HostId: w.web, HostAccountIds: [w.webDeploy] }]) };
    body = await call('DetachHostAccountsFromUserGroup', revokeDeploy);
    assert.deepEqual(body.Results[0].HostAccounts.map((a) => [a.HostAccountId, a.Code]), [[w.webDeploy, 'OK']]);
    body = await call('DetachHostAccountsFromUserGroup', revokeDeploy);
    assert.equal(body.Results[0].HostAccounts[0].Code, 'OBJECT_AlREADY_EXISTS');
    body = await call('ListHostAccountsForUserGroup', { UserGroupId: w.ops, HostId: w.web });
    assert.deepEqual(body.HostAccounts.map((a) => [a.HostAccountName, a.IsAuthorized]).sort(), [['deploy', false], ['root', true]]);

    // Revoke the hosts (and what remains of their accounts); an unknown host is reported per item.
    body = await call('DetachHostAccountsFromUserGroup', {
      UserGroupId: w.ops, Hosts: JSON.stringify([{ HostId: w.web }, { HostId: w.db }, { HostId: '999999' }]),
    });
    assert.deepEqual(body.Results.map((r) => r.Code), ['OK', 'OK', 'OBJECT_NOT_FOUND']);

    body = await call('ListHostsForUserGroup', { UserGroupId: w.ops });
    num(body.TotalCount, 'ListHostsForUserGroup TotalCount after revoke', 0);
    assert.deepEqual(body.Hosts, []);
    body = await call('ListHostsForUserGroup', { UserGroupId: w.ops, Mode: 'Unauthorized' });
    assert.deepEqual(body.Hosts.map((h) => h.HostName).sort(), ['db-1', 'web-1']);
    body = await call('ListHostAccountsForUserGroup', { UserGroupId: w.ops, HostId: w.web });
    assert.deepEqual(body.HostAccounts.map((a) => a.IsAuthorized), [false, false]);

    // A top-level error with its code and status.
    await rejects(call('ListHostsForUserGroup', { UserGroupId: '999999' }), 'OBJECT_NOT_FOUND', 404);
  });
}

/** Looks up the ids the seed's objects got (strings). */
async function seeded(call) {
  const ids = {};
  let body = await call('ListHosts', { PageSize: 100 });
  num(body.TotalCount, 'ListHosts TotalCount', 2);
  const host = (n) => str(body.Hosts.find((h) => h.HostName === n)?.HostId, `HostId of ${n}`);
  ids.web = host('web-1');
  ids.db = host('db-1');
  body = await call('ListHostAccounts', { HostId: ids.web });
  const acct = (n) => str(body.HostAccounts.find((a) => a.HostAccountName === n)?.HostAccountId, `HostAccountId of ${n}`);
  ids.webRoot = acct('root');
  ids.webDeploy = acct('deploy');
  bool(body.HostAccounts[0].HasPassword, 'HasPassword', true);
  body = await call('ListUserGroups', { UserGroupName: 'ops' });
  ids.ops = str(body.UserGroups[0]?.UserGroupId, 'UserGroupId of ops');
  num(body.UserGroups[0].MemberCount, 'MemberCount', 1);
  return ids;
}
