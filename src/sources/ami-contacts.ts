// The PJSIPShowContacts query at each AMI login (docs/registrations.md): Asterisk answers with one
// `Event: ContactList` item per live contact, which are handed on as ordinary AMI events, so the
// registration book learns the contacts that were made while voipguard was not connected.
// The action needs `write = system` for the voipguard user in manager.conf; without it Asterisk
// answers with an error, which is logged once per connection and costs nothing else (the
// ContactStatus events, with `read = system`, and SuccessfulAuth still work).

import type { AmiEvent } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { AmiReply } from './ami-session.js';

type Item = AmiReply['items'][number];

/** A list item as an AmiEvent: a key given twice (an array) marks it hostile, and it registers nothing. */
export function listItemEvent(item: Item, receivedAt: number): AmiEvent {
  const fields: Array<readonly [string, string]> = [];
  const hostile: string[] = [];
  for (const [k, v] of Object.entries(item)) {
    if (typeof v === 'string') fields.push([k, v]);
    else hostile.push(`duplicate:${k.toLowerCase()}`);
  }
  return hostile.length ? { fields, receivedAt, hostile } : { fields, receivedAt };
}

export interface ContactQueryDeps {
  readonly action: (fields: Readonly<Record<string, string>>) => Promise<AmiReply>;
  readonly now: () => number;
  readonly log: Logger;
  readonly deliver: (e: AmiEvent) => void;
}

/** Asks for the live contacts and delivers each item; never rejects. Resolves with the number delivered. */
export async function queryContacts(d: ContactQueryDeps): Promise<number> {
  let reply: AmiReply;
  try {
    reply = await d.action({ Action: 'PJSIPShowContacts' });
  } catch (err) {
    d.log.info({ event: 'ami-contacts-unavailable', err: (err as Error).message });
    return 0;
  }
  const response = String(reply.reply.response ?? '').toLowerCase();
  if (response !== 'success') {
    d.log.info({ event: 'ami-contacts-unavailable', err: String(reply.reply.message ?? response).slice(0, 200) });
    return 0;
  }
  const now = d.now();
  let n = 0;
  for (const item of reply.items) {
    d.deliver(listItemEvent(item, now));
    n++;
  }
  d.log.info({ event: 'ami-contacts', contacts: n });
  return n;
}
