// logger.conf: are security events and NOTICE lines written to files a jail reads, and can the
// filters read the dates Asterisk writes?

import { astLogDir, fileChannelsFor, readLoggerSettings, type LogChannel, type LoggerSettings } from '../asterisk/logger-config.js';
import { asteriskStrftime, localTimeOf } from '../asterisk/strftime.js';
import { unknownCallerMessage } from '../asterisk/snippets.js';
import { jailsReading } from './logpaths.js';
import type { DoctorContext, Finding } from './doctor-types.js';

const RELOAD = "then run: asterisk -rx 'logger reload'";

function settingsOf(ctx: DoctorContext): LoggerSettings | null {
  const logger = ctx.files.logger;
  if (logger === null) return null;
  return readLoggerSettings(logger, astLogDir(ctx.files.asterisk), ctx.env.hostname());
}

/** File channels for `level` and the jails reading each, json channels set apart (filters cannot read them). */
function routing(ctx: DoctorContext, s: LoggerSettings, level: string): { read: [LogChannel, string[]][]; unread: LogChannel[]; json: LogChannel[] } {
  const read: [LogChannel, string[]][] = [];
  const unread: LogChannel[] = [];
  const json: LogChannel[] = [];
  for (const c of fileChannelsFor(s, level)) {
    const jails = jailsReading(ctx.config.jails, c.path!);
    if (c.formatter === 'json') {
      if (jails.length) json.push(c);
    } else if (jails.length) read.push([c, jails]);
    else unread.push(c);
  }
  return { read, unread, json };
}

export function checkLoggerSecurity(ctx: DoctorContext): Finding[] {
  const id = 'logger-security';
  const s = settingsOf(ctx);
  if (s === null) {
    return [
      { id, status: 'fail', message: `no logger.conf in ${ctx.files.dir}`, fix: 'is --asterisk-dir right? Asterisk reads logger.conf from its config dir' },
    ];
  }
  const r = routing(ctx, s, 'security');
  const amiJails = ctx.config.jails.filter((j) => j.ami).map((j) => j.name);
  if (r.read.length) {
    const [c, jails] = r.read[0]!;
    return [{ id, status: 'ok', message: `security events go to ${c.path}, read by jail ${jails.join(', ')}` }];
  }
  if (r.json.length) {
    return [
      {
        id,
        status: 'fail',
        message: `security events go to ${r.json[0]!.path} in the [json] format, which voipguard's filters do not read`,
        fix: `drop "[json]" from the "${r.json[0]!.name} =>" line in logger.conf, ${RELOAD}`,
      },
    ];
  }
  const addChannel = `add "security.log => security" under [logfiles] (voipguard asterisk logger prints the lines) and that file to the jail's logpath, ${RELOAD}`;
  if (ctx.config.ami !== null && amiJails.length) {
    return [
      {
        id,
        status: 'warn',
        message: `security events reach jail ${amiJails.join(', ')} over AMI only: while AMI is down no log file a jail reads records them`,
        fix: addChannel,
      },
    ];
  }
  if (r.unread.length) {
    const c = r.unread[0]!;
    return [
      {
        id,
        status: 'fail',
        message: `security events go to ${c.path}, but no enabled jail reads it`,
        fix: `add ${c.path} to the logpath of your Asterisk jail (jail.local)`,
      },
    ];
  }
  return [
    {
      id,
      status: 'fail',
      message: 'logger.conf writes the security level to no file, and no jail takes AMI events: no security event reaches voipguard',
      fix: addChannel,
    },
  ];
}

export function checkLoggerNotice(ctx: DoctorContext): Finding[] {
  const id = 'logger-notice';
  const s = settingsOf(ctx);
  if (s === null) return [{ id, status: 'skip', message: 'no logger.conf' }];
  const r = routing(ctx, s, 'notice');
  if (r.read.length) {
    const [c, jails] = r.read[0]!;
    return [{ id, status: 'ok', message: `NOTICE lines go to ${c.path}, read by jail ${jails.join(', ')}` }];
  }
  const why = 'PJSIP calls to unknown extensions and the dialplan line for unknown callers appear only as NOTICE lines';
  if (r.unread.length || r.json.length) {
    const c = (r.unread[0] ?? r.json[0])!;
    return [
      {
        id,
        status: 'warn',
        message: `NOTICE lines go to ${c.path}${c.formatter === 'json' ? ' in the [json] format' : ''}, which no jail reads; ${why}`,
        fix: c.formatter === 'json' ? `drop "[json]" from the "${c.name} =>" line, ${RELOAD}` : `add ${c.path} to the logpath of your Asterisk jail`,
      },
    ];
  }
  return [
    {
      id,
      status: 'warn',
      message: `logger.conf writes the notice level to no file; ${why}`,
      fix: `add "messages.log => notice,warning,error" under [logfiles], ${RELOAD}`,
    },
  ];
}

const HAS_YEAR = /%[EO]?[YyFDcxsC]/;

export function checkLoggerDateformat(ctx: DoctorContext): Finding[] {
  const id = 'logger-dateformat';
  const s = settingsOf(ctx);
  if (s === null) return [{ id, status: 'skip', message: 'no logger.conf' }];
  const fix = `set "dateformat = %F %T.%3q" under [general] in logger.conf, ${RELOAD}`;
  const now = ctx.env.now();
  const date = asteriskStrftime(s.dateformat, localTimeOf(now));
  const shown = `dateformat ${s.defaultDateformat ? '(default) ' : ''}"${s.dateformat}"`;
  if (date === null) {
    return [{ id, status: 'fail', message: `${shown} uses a conversion Asterisk does not print`, fix }];
  }
  const sample = `[${date}] NOTICE[4711][C-00000001] Ext. s: ${unknownCallerMessage('192.0.2.1:5060')}`;
  const parsed = ctx.timeProbe(sample, now);
  if (parsed === null) {
    return [{ id, status: 'fail', message: `voipguard's filters cannot read the date of ${shown}: "[${date}]"`, fix }];
  }
  if (Math.abs(parsed - now) >= 1000) {
    const off = Math.round((parsed - now) / 1000);
    return [{ id, status: 'fail', message: `${shown} reads back ${off} s off ("[${date}]"): bans would use wrong times`, fix }];
  }
  if (!HAS_YEAR.test(s.dateformat)) {
    return [{ id, status: 'warn', message: `${shown} has no year: voipguard has to guess it (around New Year, and when reading old logs)`, fix }];
  }
  return [{ id, status: 'ok', message: `${shown} reads back as the time it was written ("[${date}]")` }];
}
