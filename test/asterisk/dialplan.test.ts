import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extenMatches, parseAppCall, parseExtenLine, separateAppArgs } from '../../src/asterisk/dialplan.js';

test('app arguments as AST_STANDARD_APP_ARGS splits them: bare quotes vanish, \\" stays, commas inside quotes/()/[] do not split', () => {
  assert.deepEqual(separateAppArgs('NOTICE,"a, b" c'), ['NOTICE', 'a, b c']);
  assert.deepEqual(separateAppArgs('NOTICE,\\"quoted\\"'), ['NOTICE', '"quoted"']);
  assert.deepEqual(separateAppArgs('x,${CHANNEL(pjsip,remote_addr)},[a,b]'), ['x', '${CHANNEL(pjsip,remote_addr)}', '[a,b]']);
  assert.deepEqual(separateAppArgs('a,'), ['a', '']);
  assert.deepEqual(separateAppArgs(''), []);
});

test('exten lines and app calls', () => {
  assert.deepEqual(parseExtenLine('exten', '_X.,1,Goto(ctx,s,1)'), { exten: '_X.', priority: '1', app: 'Goto(ctx,s,1)' });
  assert.deepEqual(parseExtenLine('same', 'n,Hangup(21)'), { exten: '', priority: 'n', app: 'Hangup(21)' });
  assert.equal(parseExtenLine('exten', 'lonely'), null);
  assert.deepEqual(parseAppCall('Log(NOTICE,a (b) c)'), { name: 'Log', data: 'NOTICE,a (b) c' });
  assert.deepEqual(parseAppCall('Hangup'), { name: 'Hangup', data: '' });
});

test('extension patterns', () => {
  assert.equal(extenMatches('_.', 'admin'), true);
  assert.equal(extenMatches('_.', ''), false);
  assert.equal(extenMatches('_!', ''), true);
  assert.equal(extenMatches('_X.', '1000'), true);
  assert.equal(extenMatches('_X.', 'admin'), false);
  assert.equal(extenMatches('_NXX', '123'), false);
  assert.equal(extenMatches('_NXX', '223'), true);
  assert.equal(extenMatches('_[1-5]XX', '599'), true);
  assert.equal(extenMatches('_[1-5]XX', '699'), false);
  assert.equal(extenMatches('s', 'S'), true);
  assert.equal(extenMatches('_1.', '1" from 6.6.6.6'), true);
});
