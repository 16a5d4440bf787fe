// Channel driver settings that hide attempts from voipguard (docs/asterisk-facts.md §1.3, §3,
// §4, §9), and module/stasis settings that silence security events altogether.

import type { AsteriskConfig } from '../asterisk/asterisk-config.js';
import { DEFAULT_CONTEXT } from '../asterisk/snippets.js';
import { jailsReading } from './logpaths.js';
import { contextHasExtensions, contextLogsUnknownCallers, moduleLoaded } from './asterisk-files.js';
import { astLogDir, fileChannelsFor, isFalse, isTrue, readLoggerSettings } from '../asterisk/logger-config.js';
import type { DoctorContext, Finding } from './doctor-types.js';

const EXT_SNIPPET = 'voipguard asterisk extensions';

export function checkChanSip(ctx: DoctorContext): Finding[] {
  const id = 'chan-sip';
  const sip = ctx.files.sip;
  if (sip === null || !moduleLoaded(ctx.files.modules, 'chan_sip.so')) return [{ id, status: 'skip', message: 'chan_sip is not in use' }];
  const problems: Finding[] = [];
  if (isFalse(sip.retrieve('general', 'alwaysauthreject'))) {
    problems.push({
      id,
      status: 'warn',
      message: 'sip.conf has alwaysauthreject = no: scanners learn which account names exist from the different answer',
      fix: `set "alwaysauthreject = yes" under [general] in sip.conf, then run: asterisk -rx 'sip reload'`,
    });
  }
  // allowguest defaults to yes in chan_sip: unknown callers run the [general] context's dialplan
  const guest = sip.retrieve('general', 'allowguest');
  if (guest === undefined || isTrue(guest)) {
    const context = sip.retrieve('general', 'context') ?? 'default';
    const hidden = hiddenGuestContext(ctx.files.extensions, context);
    if (hidden) {
      problems.push({
        id,
        status: 'warn',
        message: `unknown SIP callers (allowguest) run context [${context}], which accepts their calls without a line voipguard reads`,
        fix: `set "context = ${DEFAULT_CONTEXT}" under [general] in sip.conf and add the context (${EXT_SNIPPET} --driver sip), or set "allowguest = no"`,
      });
    }
  }
  if (problems.length === 0) return [{ id, status: 'ok', message: 'chan_sip rejects unknown callers visibly' }];
  return [{ ...problems[0]!, message: problems.map((p) => p.message).join('; '), fix: problems.map((p) => p.fix).join('; ') }];
}

/** A guest context hides attempts when it runs dialplan that does not log the caller's address. */
function hiddenGuestContext(extensions: AsteriskConfig | null, context: string): boolean {
  return contextHasExtensions(extensions, context) && !contextLogsUnknownCallers(extensions, context);
}

/** The first category of pjsip.conf with `type = <type>` (templates resolved), by name if given. */
function pjsipObjects(pjsip: AsteriskConfig, type: string): { name: string; get(key: string): string | undefined }[] {
  return pjsip.categories
    .filter((c) => !c.template)
    .filter(
      (c) =>
        [...c.variables]
          .reverse()
          .find((v) => v.name.toLowerCase() === 'type')
          ?.value.toLowerCase() === type,
    )
    .map((c) => ({
      name: c.name,
      get: (key: string) => [...c.variables].reverse().find((v) => v.name.toLowerCase() === key)?.value,
    }));
}

export function checkPjsipIdentify(ctx: DoctorContext): Finding[] {
  const id = 'pjsip-identify';
  const pjsip = ctx.files.pjsip;
  if (pjsip === null || !moduleLoaded(ctx.files.modules, 'res_pjsip.so')) return [{ id, status: 'skip', message: 'PJSIP is not in use' }];
  const messages: string[] = [];
  const fixes: string[] = [];
  const global = pjsipObjects(pjsip, 'global')[0];
  const order = (global?.get('endpoint_identifier_order') ?? '').toLowerCase();
  if (
    order
      .split(',')
      .map((s) => s.trim())
      .includes('auth_username')
  ) {
    const count = global?.get('unidentified_request_count') ?? '5';
    const period = global?.get('unidentified_request_period') ?? '5';
    messages.push(
      `endpoint_identifier_order includes auth_username: an unknown user is reported only after ${count} requests from one address within ${period} s, so a slow scan leaves no InvalidAccountID`,
    );
    fixes.push('remove auth_username from endpoint_identifier_order in [global] of pjsip.conf, or set "unidentified_request_count = 1"');
  }
  const anonymous = pjsipObjects(pjsip, 'endpoint').find((e) => e.name.toLowerCase() === 'anonymous');
  if (anonymous !== undefined && moduleLoaded(ctx.files.modules, 'res_pjsip_endpoint_identifier_anonymous.so')) {
    const context = anonymous.get('context') ?? 'default';
    if (hiddenGuestContext(ctx.files.extensions, context)) {
      messages.push(`calls from unknown callers (endpoint "anonymous") run context [${context}] without a line voipguard reads`);
      fixes.push(`set "context = ${DEFAULT_CONTEXT}" on the anonymous endpoint and add that context (${EXT_SNIPPET})`);
    }
  }
  if (messages.length === 0) return [{ id, status: 'ok', message: 'PJSIP reports unknown callers and users on every attempt' }];
  return [{ id, status: 'warn', message: messages.join('; '), fix: `${fixes.join('; ')}, then run: asterisk -rx 'module reload res_pjsip.so'` }];
}

export function checkSecurityEvents(ctx: DoctorContext): Finding[] {
  const id = 'security-events';
  const declined = (ctx.files.stasis?.named('declined_message_types') ?? [])
    .flatMap((c) => c.variables)
    .some((v) => v.name.toLowerCase() === 'decline' && v.value.trim() === 'ast_security_event_type');
  if (declined) {
    return [
      {
        id,
        status: 'fail',
        message: 'stasis.conf declines ast_security_event_type: Asterisk emits no security events, neither to the log nor to AMI',
        fix: 'remove "decline = ast_security_event_type" from [declined_message_types] in stasis.conf and restart Asterisk',
      },
    ];
  }
  if (!moduleLoaded(ctx.files.modules, 'res_security_log.so') && readsSecurityLog(ctx)) {
    return [
      {
        id,
        status: 'fail',
        message: 'modules.conf keeps res_security_log.so from loading: no security event reaches the log files the jails read',
        fix: 'remove "noload => res_security_log.so" (or add "load => res_security_log.so") in modules.conf, then run: asterisk -rx "module load res_security_log.so"',
      },
    ];
  }
  return [{ id, status: 'ok', message: 'Asterisk emits security events' }];
}

/** Whether a jail reads a file logger.conf sends the security level to. */
function readsSecurityLog(ctx: DoctorContext): boolean {
  if (ctx.files.logger === null) return false;
  const s = readLoggerSettings(ctx.files.logger, astLogDir(ctx.files.asterisk), ctx.env.hostname());
  return fileChannelsFor(s, 'security').some((c) => jailsReading(ctx.config.jails, c.path!).length > 0);
}
