// REJECT, then DROP (the jail key droprepeat): the first bans of an address answer it (ICMP port
// unreachable, or a TCP reset), which tells a scanner quickly that it is blocked; a repeat offender
// gets silence, so each of its probes waits for its own timeout. The ban count comes from the
// history (Store.banCount through the jail), whether bantime.increment is on or not.

/** True when a ban with this ban count is applied with DROP (`dropRepeat` 0: never). */
export function dropsAt(dropRepeat: number, banCount: number): boolean {
  return dropRepeat > 0 && banCount >= dropRepeat;
}
