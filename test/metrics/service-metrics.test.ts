// The service tells the exporter which jails run and whether any of them takes AMI events: the
// per-jail series exist from a jail's start, and AMI state is exported only where AMI is used.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';
import { files, JAIL, kit } from '../cli/daemon-kit.js';

const AMI_ON = '[ami]\nenabled = yes\nusername = voipguard\nsecret = s3cret-Pa55\n';

async function body(m: PromMetrics): Promise<string> {
  return (await m.scrape()).body;
}

test('AMI state is exported only while [ami] is on and a running jail has ami = yes; jail series follow start and reload', async () => {
  const metrics = new PromMetrics();
  // AMI enabled, but no jail uses it: no AMI state series
  const k = kit(files(JAIL, AMI_ON), { metrics });
  await k.svc.start(k.load());
  let b = await body(metrics);
  assert.doesNotMatch(b, /^voipguard_ami_state\{/m);
  assert.match(b, /^voipguard_jail_info\{jail="asterisk"\} 1$/m);
  assert.match(b, /^voipguard_currently_failed\{jail="asterisk"\} 0$/m);
  assert.doesNotMatch(b, /jail="blacklist"/);

  // a reload gives the jail ami = yes: the state appears
  k.setFiles(files(JAIL.replace('[asterisk]\nenabled = true', '[asterisk]\nenabled = true\nami = yes'), AMI_ON));
  await k.svc.reload(null);
  b = await body(metrics);
  assert.match(b, /^voipguard_ami_state\{state="disconnected"\} 1$/m);

  // AMI switched off by a reload: gone again, and a jail disabled loses its series
  k.setFiles(files(JAIL.replace('[asterisk]\nenabled = true', '[asterisk]\nenabled = false\nami = yes')));
  await k.svc.reload(null);
  b = await body(metrics);
  assert.doesNotMatch(b, /^voipguard_ami_state\{/m);
  assert.doesNotMatch(b, /^voipguard_jail_info\{/m);
  assert.doesNotMatch(b, /^voipguard_active_bans\{/m);
  await k.svc.stop();
});
