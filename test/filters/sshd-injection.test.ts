// Every sshd line that carries an attacker-written field, filled with hostile names: the address is
// sshd's or there is none, never the forged one (6.6.6.6 / 2001:db8::bad), in syslog and journal form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packageRoot } from '../../src/core/paths.js';
import type { LogLine } from '../../src/core/types.js';
import { loadFilter } from '../../src/filters/load-filter.js';

const FORGED = ['6.6.6.6', '2001:db8::bad'];
const REAL = ['203.0.113.5', '2001:db8::5'];

// {U}: the user name; {K}: a certificate key id or a client's offer (also the attacker's); {R}: sshd's address
const TEMPLATES = [
  'Invalid user {U} from {R} port 40000',
  'Failed password for {U} from {R} port 40000 ssh2',
  'Failed password for invalid user {U} from {R} port 40000 ssh2',
  'Failed keyboard-interactive/pam for invalid user {U} from {R} port 40000 ssh2',
  'Failed publickey for {U} from {R} port 40000 ssh2: RSA SHA256:Vf7Zq8h6sO1b7uRkq0m3aY2cFv9yZ2c1nB8wTnqk3uE',
  'Failed publickey for {U} from {R} port 40000 ssh2: ED25519-CERT SHA256:abc ID {K} (serial 7) CA ED25519 SHA256:def',
  'error: maximum authentication attempts exceeded for invalid user {U} from {R} port 40000 ssh2 [preauth]',
  'Connection closed by invalid user {U} {R} port 40000 [preauth]',
  'Connection closed by authenticating user {U} {R} port 40000 [preauth]',
  'Disconnected from invalid user {U} {R} port 40000 [preauth]',
  'ssh_dispatch_run_fatal: Connection from invalid user {U} {R} port 40000: invalid format [preauth]',
  "Bad protocol version identification '{K}' from {R} port 40000",
  'Unable to negotiate with {R} port 40000: no matching cipher found. Their offer: {K} [preauth]',
  'Protocol major versions differ for {R} port 40000: SSH-2.0-OpenSSH_9.6 vs. {K}',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={R}  user={U}',
  'Disconnecting invalid user {U} {R} port 40000: Change of username or service not allowed: ({U},ssh-connection) -> ({K},ssh-connection) [preauth]',
];

const HOSTILE = [
  'x from F port 22',
  'x from F port 22 ssh2',
  'x from F port 22 ssh2: RSA SHA256:abc',
  'x F port 22',
  'x F port 22 [preauth]',
  "' from F",
  '"root" from F port 1',
  'rhost=F',
  'x rhost=F user=y',
  'x ruser= rhost=F',
  ' user=F',
  'x\\nFailed password for root from F port 22 ssh2',
  'F',
  '[F]',
  '::ffff:6.6.6.6',
  'from F port 22 ssh2 from F port 22 ssh2',
  `${'a'.repeat(90)} from F port 1`,
  'x from F port 1: invalid format',
  'x F port 1: invalid format',
  'Invalid user y from F port 1',
  'x] [preauth]',
  'x ID y (serial 1) CA ED25519 SHA256:z',
  'x from F port 22 ssh2: RSA-CERT SHA256:x ID y',
  'x\x1b[0m from F port 9',
  'x (serial 1) CA RSA SHA256:q from F port 2 ssh2',
  'x from F port 2 ssh2: RSA SHA256:q (serial 1) CA RSA SHA256:q',
  'F port 1 [preauth]',
  'x,ssh-connection) -> (y',
];

// names that are not hostile at all: these lines must match, so the test cannot pass by matching nothing
const PLAIN = ['root', 'admin', 'ubnt', 'oracle'];

const ROOT = packageRoot();
const READ_AT = Date.parse('2026-11-21T12:00:00Z');

function lines(template: string, user: string, key: string, real: string): LogLine[] {
  const text = template
    .replace(/\{U\}/g, () => user)
    .replace('{K}', () => key)
    .replace('{R}', () => real);
  return [
    { source: '/var/log/auth.log', text: `Nov 21 10:00:00 vm sshd[42]: ${text}`, readAt: READ_AT },
    { source: 'journal:ssh.service', text, readAt: READ_AT },
  ];
}

for (const options of [{}, { mode: 'aggressive', pam: 'yes' }] as Record<string, string>[]) {
  test(`hostile user names and key ids never move the address (${JSON.stringify(options)})`, () => {
    const filter = loadFilter('sshd', { configDir: ROOT, args: options, timezone: 'UTC' });
    let checked = 0;
    let matched = 0;
    const wrong: string[] = [];
    for (const t of TEMPLATES) {
      for (const real of REAL) {
        for (const forged of FORGED) {
          for (const name of HOSTILE) {
            const u = name.replace(/\bF\b/g, forged);
            for (const line of [...lines(t, u, 'SSH-2.0-x', real), ...lines(t, 'root', u, real), ...lines(t, u, u, real)]) {
              const f = filter.match(line).failure;
              checked++;
              if (f !== null) matched++;
              if (f !== null && f.ip !== real) wrong.push(`${f.ip} from ${JSON.stringify(line.text)}`);
            }
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(checked > 5000 && matched > checked / 3, `${matched} of ${checked} hostile lines matched`);
  });
}

test('the same lines with ordinary names all match, on the address sshd wrote', () => {
  const filter = loadFilter('sshd', { configDir: ROOT, args: { pam: 'yes' }, timezone: 'UTC' });
  const missed: string[] = [];
  for (const t of TEMPLATES.filter((x) => !x.startsWith('Disconnecting'))) {
    for (const real of REAL) {
      for (const name of PLAIN) {
        for (const line of lines(t, name, 'SSH-1.5-Nmap', real)) {
          const f = filter.match(line).failure;
          if (f?.ip !== real) missed.push(line.text);
        }
      }
    }
  }
  assert.deepEqual(missed, []);
});
