// The jail key protectregistered resolved for one jail (docs/registrations.md): `auto`, the default,
// is yes when the jail can see logins at all (its filter reads SecurityEvent records, or it takes AMI
// events from an enabled [ami]), else no: a jail that reads only NOTICE lines (or sshd's log) never
// sees a SuccessfulAuth, and protects nothing. The guard asks the book through a view with the
// jail's registeredttl.

import type { JailConfig } from '../config/jail-schema.js';
import type { Failure } from '../core/types.js';
import type { RegistrationBook } from './registration-book.js';
import { RegisteredGuard } from './registered-guard.js';

export interface ProtectionInputs {
  /** The jail's filter reads SecurityEvent records (a <SECURITYEVENT> failregex). */
  readonly readsSecurityEvents: boolean;
  /** The jail takes AMI events (ami = yes and [ami] enabled). */
  readonly takesAmi: boolean;
}

export function protectsRegistered(setting: JailConfig['protectregistered'], inputs: ProtectionInputs): boolean {
  if (setting === 'auto') return inputs.readsSecurityEvents || inputs.takesAmi;
  return setting === 'yes';
}

/** The jail's guard, or undefined when protectregistered resolves to no. */
export function registeredGuardFor(
  cfg: Pick<JailConfig, 'protectregistered' | 'registeredttl' | 'findtime'>,
  inputs: ProtectionInputs,
  book: RegistrationBook,
  accountless: (f: Failure) => boolean,
): RegisteredGuard | undefined {
  if (!protectsRegistered(cfg.protectregistered, inputs)) return undefined;
  return new RegisteredGuard({ registrations: book.view(cfg.registeredttl), findtime: cfg.findtime, accountless });
}
