// One AMI login attempt for the doctor, through the AMI source's own session (the same banner check,
// login, and reply handling the daemon uses), asking for no events, then closed at once.
// Connect-plus-banner and the login reply are each bounded by the timeout.

import { AmiSession } from '../sources/ami-session.js';
import { systemTimers } from '../core/timers.js';
import type { AmiLoginOutcome, AmiLoginRequest } from './doctor-types.js';

const REASONS = {
  VG_AMI_AUTH: 'refused',
  VG_AMI_CONNECT: 'unreachable',
  VG_AMI_TIMEOUT: 'timeout',
  VG_AMI_PROTOCOL: 'protocol',
} as const;

export function probeAmiLogin(req: AmiLoginRequest): Promise<AmiLoginOutcome> {
  return new Promise((resolve) => {
    let banner = '';
    let session: AmiSession | null = null;
    let done = false;
    const finish = (o: AmiLoginOutcome): void => {
      if (done) return;
      done = true;
      resolve(o);
    };
    try {
      session = new AmiSession(
        {
          host: req.host,
          port: req.port,
          username: req.username,
          secret: req.secret,
          eventMask: 'off',
          connectTimeoutMs: req.timeoutMs,
          actionTimeoutMs: req.timeoutMs,
          pingIntervalMs: 3_600_000, // never reached: the session is stopped once logged in
          pingTimeoutMs: req.timeoutMs,
        },
        systemTimers,
        {
          banner: (text) => void (banner = text),
          ready: () => {
            finish({ ok: true, banner });
            session?.stop();
          },
          event: () => {},
          dropped: () => {},
          closed: (reason) => {
            if (reason === null) return finish({ ok: true, banner });
            const r = REASONS[reason.code as keyof typeof REASONS] ?? 'protocol';
            finish({ ok: false, reason: r, message: reason.message });
          },
        },
      );
    } catch (e) {
      // a line break in the secret, or an invalid port (node:net refuses it synchronously)
      finish({ ok: false, reason: 'protocol', message: (e as Error).message });
    }
  });
}
