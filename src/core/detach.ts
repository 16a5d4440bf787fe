// A string cut out of a log line (an address, a session id) is, in V8, a view into the whole line
// once it is 13 characters or longer: keeping the cut keeps the line. The jail and the correlator
// keep such cuts for minutes, tens of thousands at a time; at a 100,000-address flood that was
// 30 MB of lines held for their addresses (a heap snapshot of the daemon: 223,000 sliced strings,
// each the only thing keeping its line). detach() returns a copy
// that holds only its own characters (a view into a copy one character longer), for the places that
// keep a string beyond the line's handling. Shorter cuts are copies already and come back as they are.

/** V8 makes a view (a sliced string) only for cuts of at least this many characters. */
const VIEW_MIN = 13;

/** A string with the same characters as `s` that does not keep alive the longer string `s` was cut from. */
export function detach(s: string): string {
  // the concatenation is not flat; slice() flattens it into a new string first and cuts from that
  return s.length < VIEW_MIN ? s : (s + ' ').slice(0, -1);
}
