import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientArgs, renderReply } from '../../src/cli/client-command.js';
import type { ControlReplies } from '../../src/control/replies.js';
import { ServiceControl } from '../../src/daemon/control-handler.js';
import { files, JAIL, kit } from './daemon-kit.js';

const TWO = `${JAIL.replace('[blacklist]\nenabled = false', '[blacklist]\nenabled = true')}`;

test('`status --all [short]` parses as fail2ban 1.1 writes it', () => {
  assert.deepEqual(parseClientArgs(['status', '--all']).action, { kind: 'request', req: { cmd: 'status-all', short: false } });
  assert.deepEqual(parseClientArgs(['status', '--all', 'short', '--json']).action, { kind: 'request', req: { cmd: 'status-all', short: true } });
  assert.throws(() => parseClientArgs(['status', '--all', 'long']), { code: 'VG_USAGE' });
});

test('status --all: the service tree, then every running jail tree, in one answer (text and --json data)', async () => {
  const k = kit(files(TWO));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  await control.handle({ cmd: 'banip', jail: 'blacklist', ips: ['192.0.2.9'] });
  const data = (await control.handle({ cmd: 'status-all', short: false })) as ControlReplies['status-all'];
  assert.deepEqual(data.service.jails, ['asterisk', 'blacklist']);
  assert.deepEqual(
    data.jails.map((j) => [j.jail, j.actions.bannedIps]),
    [
      ['asterisk', []],
      ['blacklist', ['192.0.2.9']],
    ],
  );
  // --json prints the daemon's data as it is: it must survive JSON
  assert.deepEqual(JSON.parse(JSON.stringify(data)), data);
  const text = renderReply({ cmd: 'status-all', short: false }, data);
  assert.match(text, /^Status\n\|- Number of jail:\t2\n\|- Jail list:\tasterisk, blacklist\n/);
  assert.match(text, /\nStatus for the jail: asterisk\n[\s\S]*\nStatus for the jail: blacklist\n[\s\S]*`- Banned IP list:\t192\.0\.2\.9\n$/);
  const short = (await control.handle({ cmd: 'status-all', short: true })) as ControlReplies['status-all'];
  assert.doesNotMatch(renderReply({ cmd: 'status-all', short: true }, short), /Banned IP list/);
});
