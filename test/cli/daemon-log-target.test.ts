import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogTarget, prettyLine } from '../../src/daemon/log-target.js';
import { createLogger } from '../../src/log/logger.js';

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'vg-logt-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('after logrotate renames the file, SIGUSR1 (reopen) makes the next lines go to a new file', (t) => {
  const d = dir(t);
  const path = join(d, 'voipguard.log');
  const target = new LogTarget(path);
  const log = createLogger({ target });
  target.bind(log);
  log.info({ event: 'before' });
  renameSync(path, path + '.1');
  log.info({ event: 'still-old' }); // not reopened yet: the renamed file gets it
  target.control().reopen();
  log.info({ event: 'after' });
  target.close();
  const events = (f: string) =>
    readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
  assert.deepEqual(events(path + '.1'), ['before', 'still-old']);
  assert.deepEqual(events(path), ['after']);
});

test('set logtarget moves the lines; set loglevel reaches child loggers made before', (t) => {
  const d = dir(t);
  const a = join(d, 'a.log');
  const b = join(d, 'b.log');
  const target = new LogTarget(a);
  const log = createLogger({ target, level: 'info' });
  target.bind(log);
  const child = log.child({ component: 'x' });
  child.debug({ event: 'hidden' });
  target.control().setLevel('debug');
  child.debug({ event: 'shown' });
  assert.equal(target.control().setTarget(b), b);
  child.info({ event: 'moved' });
  target.close();
  assert.deepEqual(
    readFileSync(a, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event),
    ['shown'],
  );
  assert.deepEqual(
    readFileSync(b, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event),
    ['moved'],
  );
  assert.equal(target.control().target(), b);
  assert.equal(target.control().level(), 'debug');
});

test('on a terminal a JSON line reads as one short line', () => {
  const line = JSON.stringify({
    level: 'info',
    time: '2026-11-21T09:43:47.182Z',
    name: 'voipguard',
    jail: 'asterisk',
    event: 'ban',
    ip: '192.0.2.44',
    banCount: 1,
  });
  assert.equal(prettyLine(line + '\n'), '09:43:47 INFO  ban jail=asterisk ip=192.0.2.44 banCount=1\n');
  assert.equal(prettyLine('not json\n'), 'not json\n');
});
