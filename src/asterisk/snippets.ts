// The three snippets `voipguard asterisk logger|extensions|manager` prints, rendered from the
// templates in asterisk/. Options are checked here, against what the Asterisk version has, so a
// snippet never names a feature the user's Asterisk lacks.

import { randomBytes } from 'node:crypto';
import { VoipguardError } from '../core/errors.js';
import { hasAdvancedEventFilter, hasChanSip, hasCustomLevels, hasPjsip, type AsteriskVersion } from './asterisk-version.js';
import { loadTemplate, renderTemplate } from './template.js';

/** The custom logger level the snippets declare and log with (printed as declared). */
export const VOIPGUARD_LEVEL = 'VOIPGUARD';
/** The fixed text the dialplan logs; filter.d/asterisk.conf matches it in quotes (FreePBX's form). */
export const UNKNOWN_CALLER_MESSAGE = 'Rejecting unknown SIP connection from';

/** The log message as Asterisk prints it, quotes included. */
export function unknownCallerMessage(address: string): string {
  return `"${UNKNOWN_CALLER_MESSAGE} ${address}"`;
}

/**
 * The Log() argument that prints unknownCallerMessage: Log() removes bare quotes from its
 * arguments (AST_STANDARD_APP_ARGS), so they are written `\"` to reach the log.
 */
export function unknownCallerLogArg(addressExpr: string): string {
  return `\\"${UNKNOWN_CALLER_MESSAGE} ${addressExpr}\\"`;
}

export const DEFAULT_CONTEXT = 'voipguard-unknown';
export const DEFAULT_AMI_USER = 'voipguard';
export const DEFAULT_LOG_DIR = '/var/log/asterisk';

export type Driver = 'pjsip' | 'sip';

export interface LoggerSnippetOptions {
  readonly customLevel?: boolean;
  readonly asterisk?: AsteriskVersion;
  readonly logDir?: string;
}

export interface ExtensionsSnippetOptions {
  readonly driver?: Driver;
  readonly asterisk?: AsteriskVersion;
  readonly customLevel?: boolean;
  readonly context?: string;
}

export interface ManagerSnippetOptions {
  readonly user?: string;
  /** Given by tests; otherwise 24 random bytes. */
  readonly secret?: string;
  readonly asterisk?: AsteriskVersion;
}

/** The dialplan expression that yields the real source of the call, per channel driver. */
export const ADDRESS_EXPRESSIONS: Readonly<Record<Driver, string>> = Object.freeze({
  pjsip: '${CHANNEL(pjsip,remote_addr)}', // address:port of the INVITE's packet, [v6]:port
  sip: '${CHANNEL(recvip)}', // packet source without port; not CHANNEL(peerip), which Via can set
});

export function renderLoggerSnippet(opts: LoggerSnippetOptions = {}): string {
  const customLevel = opts.customLevel === true;
  if (customLevel) requireCustomLevels(opts.asterisk);
  return renderTemplate(
    loadTemplate('logger.conf.tmpl'),
    {
      asteriskText: versionText(opts.asterisk),
      customLevel,
      levelName: VOIPGUARD_LEVEL,
      voipguardLevels: `notice,warning,security${customLevel ? ',' + VOIPGUARD_LEVEL : ''}`,
      logDir: opts.logDir ?? DEFAULT_LOG_DIR,
    },
    'asterisk/logger.conf.tmpl',
  );
}

export function renderExtensionsSnippet(opts: ExtensionsSnippetOptions = {}): string {
  const driver = opts.driver ?? 'pjsip';
  const v = opts.asterisk;
  if (driver === 'sip' && v && !hasChanSip(v)) {
    throw new VoipguardError('VG_USAGE', `--driver sip: chan_sip was removed in Asterisk 21, so Asterisk ${v.text} has no CHANNEL(recvip); use --driver pjsip`);
  }
  if (driver === 'pjsip' && v && !hasPjsip(v)) {
    throw new VoipguardError('VG_USAGE', `--driver pjsip: Asterisk ${v.text} has no CHANNEL(pjsip,remote_addr) (13.0 or later); use --driver sip`);
  }
  const customLevel = opts.customLevel === true;
  if (customLevel) requireCustomLevels(v);
  const context = checkName(opts.context ?? DEFAULT_CONTEXT, '--context');
  return renderTemplate(
    loadTemplate('extensions.conf.tmpl'),
    {
      driverName: driver === 'pjsip' ? 'PJSIP' : 'chan_sip',
      asteriskText: v ? v.text : driver === 'sip' ? '20 or older' : 'any version',
      pjsip: driver === 'pjsip',
      context,
      customLevel,
      levelName: VOIPGUARD_LEVEL,
      level: customLevel ? VOIPGUARD_LEVEL : 'NOTICE',
      logMessage: unknownCallerLogArg(ADDRESS_EXPRESSIONS[driver]),
    },
    'asterisk/extensions.conf.tmpl',
  );
}

export interface ManagerSnippet {
  readonly text: string;
  readonly user: string;
  readonly secret: string;
}

export function renderManagerSnippet(opts: ManagerSnippetOptions = {}): ManagerSnippet {
  const user = checkName(opts.user ?? DEFAULT_AMI_USER, '--user');
  const secret = opts.secret ?? generateSecret();
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(secret)) {
    throw new VoipguardError('VG_USAGE', 'an AMI secret must be 16 to 128 characters of A-Z a-z 0-9 _ -');
  }
  const text = renderTemplate(
    loadTemplate('manager.conf.tmpl'),
    {
      asteriskText: versionText(opts.asterisk),
      user,
      secret,
      advancedFilter: opts.asterisk !== undefined && hasAdvancedEventFilter(opts.asterisk),
    },
    'asterisk/manager.conf.tmpl',
  );
  return { text, user, secret };
}

/** 24 random bytes as base64url: 32 characters, none of which Asterisk's parser treats specially. */
export function generateSecret(random: (n: number) => Buffer = randomBytes): string {
  return random(24).toString('base64url');
}

function requireCustomLevels(v: AsteriskVersion | undefined): void {
  if (v === undefined) {
    throw new VoipguardError('VG_USAGE', '--custom-level needs --asterisk VERSION: custom levels exist in 16.22+, 18.8+ and 19 or later');
  }
  if (!hasCustomLevels(v)) {
    throw new VoipguardError('VG_USAGE', `--custom-level: Asterisk ${v.text} has no custom_levels (16.22+, 18.8+, 19 or later)`);
  }
}

/** Context and user names become `[name]` lines: letters, digits, - and _ only. */
function checkName(name: string, option: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new VoipguardError('VG_USAGE', `${option} ${JSON.stringify(name)}: use letters, digits, - and _ only`);
  }
  return name;
}

function versionText(v: AsteriskVersion | undefined): string {
  return v ? v.text : 'any version';
}
