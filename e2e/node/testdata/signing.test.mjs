// Every way the Node SDKs sign and place parameters: pop-core GET (query)
// and POST (form), openapi-client V3 in the query, in a form body and with
// GET, and openapi-client's V1 path (signatureAlgorithm 'v2', doRPCRequest);
// with values that need careful percent-encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import OpenApi, * as $OpenApi from '@alicloud/openapi-client';

import { pop, popCall, openapi, v3Call, rejects, root, endpoint, region, seed, uniq } from './helpers.mjs';

const RAM = '2015-05-01';
const ECS = '2014-05-26';
const awkward = "张三 (ops)*!'~ 100% +x/y";

function params(action, version, method = 'POST') {
  return new $OpenApi.Params({
    action, version, protocol: 'HTTP', pathname: '/', method, authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
  });
}

test('pop-core GET and POST', async () => {
  const ecs = pop(ECS);
  const q = { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) };
  const get = await ecs.request('DescribeInstanceRamRole', q, { timeout: 10000 });
  assert.equal(get.InstanceRamRoleSets.InstanceRamRoleSet[0].RamRoleName, seed.ecsRole);
  const ram = pop(RAM);
  for (const call of [(a, p) => ram.request(a, p, { timeout: 10000 }), (a, p) => popCall(ram, a, p)]) {
    const name = uniq('sig-');
    const body = await call('CreateUser', { UserName: name, DisplayName: awkward });
    assert.equal(body.User.DisplayName, awkward);
    assert.equal((await call('GetUser', { UserName: name })).User.DisplayName, awkward);
  }
});

test('openapi-client V3: query, form body, GET', async () => {
  const c = openapi();
  let name = uniq('sig-');
  assert.equal((await v3Call(c, RAM, 'CreateUser', { UserName: name, DisplayName: awkward })).User.DisplayName, awkward);
  name = uniq('sig-');
  const res = await c.callApi(params('CreateUser', RAM), new $OpenApi.OpenApiRequest({ body: { UserName: name, DisplayName: awkward } }), {});
  assert.equal(res.body.User.DisplayName, awkward);
  const get = await c.callApi(params('GetUser', RAM, 'GET'), new $OpenApi.OpenApiRequest({ query: { UserName: name } }), {});
  assert.equal(get.body.User.UserName, name);
});

test('openapi-client V1 (signatureAlgorithm v2): query, form body, error', async () => {
  const c = new OpenApi.default(new $OpenApi.Config({
    accessKeyId: root.id, accessKeySecret: root.secret, endpoint, protocol: 'http', regionId: region, signatureAlgorithm: 'v2',
  }));
  const r = await c.callApi(params('DescribeInstanceRamRole', ECS), new $OpenApi.OpenApiRequest({
    query: { RegionId: region, InstanceIds: JSON.stringify([seed.vpcInstance]) },
  }), {});
  assert.equal(r.body.TotalCount, 1);
  const name = uniq('sig-');
  const u = await c.callApi(params('CreateUser', RAM), new $OpenApi.OpenApiRequest({ body: { UserName: name, DisplayName: awkward } }), {});
  assert.equal(u.body.User.DisplayName, awkward);
  await rejects(c.callApi(params('GetUser', RAM), new $OpenApi.OpenApiRequest({ query: { UserName: uniq('ghost-') } }), {}),
    'EntityNotExist.User', 404);
});
