// REJECT, then DROP (the jail key droprepeat): the first bans of an address answer it (ICMP port
// unreachable, or a TCP reset), which tells a scanner quickly that it is blocked; a repeat offender
// gets silence, so each of its probes waits for its own timeout. The ban count comes from the
// history (Store.banCount through the jail), whether bantime.increment is on or not.

import type { ActionDefinition } from '../firewall/action-definition.js';

/** True when a ban with this ban count is applied with DROP (`dropRepeat` 0: never). */
export function dropsAt(dropRepeat: number, banCount: number): boolean {
  return dropRepeat > 0 && banCount >= dropRepeat;
}

/** The action can apply a ban with DROP (actionbandrop, or batchbandrop in its batch form). */
export function hasDropForm(def: ActionDefinition): boolean {
  return Object.values(def.families).some((p) => p.banDrop.length > 0 || (p.batch?.banDrop.length ?? 0) > 0);
}
