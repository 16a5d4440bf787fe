// Loads a notification action from action.d the way the firewall actions are found (user dir, then
// shipped; .conf then .local layers): a file whose [Definition] says `notify = mail` or
// `notify = webhook` is built into voipguard, its [Init] holds the defaults, and the jail's bracket
// arguments win. Mail actions first read sendmail-common (the shipped .conf and the user's .local,
// as fail2ban users set dest and sender there): an [INCLUDES] line would only find the .local
// beside the shipped file, not the one in the user's config dir. Jail values (port, protocol, logpath…) are not passed in: a notification has no use
// for them, and arguments it does not know are errors.

import { commandValue, openAction, placeOf, type ActionSource } from '../firewall/action-file.js';
import type { ConfigFileReader } from '../config/config-set.js';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { readNotifyConfig, type NotifyConfig, type NotifyKind } from './notify-options.js';

const MAIL_COMMON = 'sendmail-common';

export interface LoadNotifyOptions {
  readonly jail: string;
  readonly configDir: string;
  readonly reader?: ConfigFileReader;
  /** The jail's `action` entry, where bracket arguments are written. */
  readonly place?: ErrorPlace;
}

/**
 * The notification config of action `name`, or null when that action.d file is not a notification
 * (the caller then loads it as a firewall action). Config errors go to `errors`; a missing action
 * file throws VG_ACTION_NOT_FOUND as the firewall loader does.
 */
export function loadNotifyConfig(
  name: string,
  args: Readonly<Record<string, string>>,
  opts: LoadNotifyOptions,
  warn: (message: string) => void,
  errors: VoipguardError[],
): NotifyConfig | null {
  const src = openAction(name, args, {}, opts.configDir, opts.reader);
  const kindText = commandValue(src, 'notify')?.trim().toLowerCase();
  if (kindText === undefined) return null;
  if (kindText !== 'mail' && kindText !== 'webhook') {
    errors.push(new VoipguardError('VG_CONFIG_TYPE', `notify = ${kindText}: expected mail or webhook`, placeOf(src, 'Definition', 'notify')));
    return null;
  }
  const params: Record<string, string> = {};
  const places: Record<string, ErrorPlace> = {};
  const layers: ActionSource[] = [];
  if (kindText === 'mail' && name !== MAIL_COMMON) layers.push(openAction(MAIL_COMMON, args, {}, opts.configDir, opts.reader));
  layers.push(src);
  for (const layer of layers) {
    for (const key of layer.set.ownKeys('Init')) {
      try {
        params[key] = layer.set.get('Init', key, layer.given) ?? '';
        places[key] = placeOf(layer, 'Init', key);
      } catch (e) {
        if (!(e instanceof VoipguardError)) throw e;
        errors.push(e);
      }
    }
  }
  const argPlace: ErrorPlace = { section: opts.jail, key: 'action', ...opts.place };
  for (const [k, v] of Object.entries(args)) {
    params[k.toLowerCase()] = v;
    places[k.toLowerCase()] = argPlace;
  }
  return readNotifyConfig(kindText as NotifyKind, name, params, opts.jail, (key) => places[key] ?? argPlace, warn, errors);
}
