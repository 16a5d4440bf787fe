// The kernel's side of the iptables action for unit tests: the f2b chains per family, what
// iptables-restore and the -N/-A/-I/-D/-F/-X/-C/-S commands do to them, and the whole table's -S.

import type { MemoryRunner } from './memory-runner.js';

/**
 * Plays the kernel's side of the f2b chains: iptables-restore, -N/-A/-I/-D/-F/-X/-C, `-S <chain>`
 * and the whole table's `-S`, per family. The map holds each chain's banned addresses (both
 * families), what tests change to play a rule deleted by hand; `fake.flush(chain)` plays a flush.
 */
export function fakeIptables(runner: MemoryRunner): Map<string, Set<string>> & { flush(chain: string): void } {
  const chains = Object.assign(new Map<string, Set<string>>(), {
    flush(name: string) {
      chains.get(name)?.clear();
      for (const k of fams) k.ret.delete(name);
    },
  });
  const chain = (name: string) => chains.get(name) ?? chains.set(name, new Set()).get(name)!;
  const fam = () => ({ made: new Set<string>(), ret: new Set<string>(), jumps: new Map<string, string>() });
  const fams = [fam(), fam()];
  const fail = { exitCode: 1, stdout: '', stderr: 'iptables: No chain/target/match by that name.\n' };
  runner.on((argv, input) => {
    const cmd = argv.join(' ');
    if (/^ip6?tables-restore /.test(cmd) && input !== undefined) {
      for (const l of input.split('\n')) {
        const m = /^-([ID]) (\S+) (?:1 )?-s (\S+) /.exec(l);
        if (m) m[1] === 'I' ? chain(m[2]!).add(m[3]!) : chain(m[2]!).delete(m[3]!);
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    const t = /^ip(6?)tables -w (.*)$/.exec(cmd);
    if (!t) return undefined;
    const v6 = t[1] === '6';
    const k = fams[v6 ? 1 : 0]!;
    const rest = t[2]!;
    const rules = (c: string) =>
      [...chain(c)]
        .filter((ip) => ip.includes(':') === v6)
        .map((ip) => `-A ${c} -s ${ip}/${v6 ? 128 : 32} -p udp -j REJECT --reject-with icmp-port-unreachable`);
    const listChain = (c: string) => [`-N ${c}`, ...rules(c), ...(k.ret.has(c) ? [`-A ${c} -j RETURN`] : [])];
    let m: RegExpExecArray | null;
    if ((m = /^-N (\S+)$/.exec(rest))) return k.made.has(m[1]!) ? fail : (k.made.add(m[1]!), chain(m[1]!), undefined);
    if ((m = /^-X (\S+)$/.exec(rest))) return k.made.delete(m[1]!) ? undefined : fail;
    if ((m = /^-F (\S+)$/.exec(rest))) return k.made.has(m[1]!) ? (chains.flush(m[1]!), undefined) : fail;
    if ((m = /^-A (\S+) -j RETURN$/.exec(rest))) return k.made.has(m[1]!) ? (k.ret.add(m[1]!), undefined) : fail;
    if ((m = /^-C (\S+) -j RETURN$/.exec(rest))) return k.ret.has(m[1]!) ? undefined : fail;
    if ((m = /^-I INPUT (.*) -j (\S+)$/.exec(rest))) return k.made.has(m[2]!) ? (k.jumps.set(m[2]!, m[1]!), undefined) : fail;
    if ((m = /^-D INPUT (.*) -j (\S+)$/.exec(rest))) return k.jumps.delete(m[2]!) ? undefined : fail;
    if ((m = /^-C INPUT (.*) -j (\S+)$/.exec(rest))) return k.jumps.get(m[2]!) === m[1] ? undefined : fail;
    if ((m = /^-S (f2b-\S+)$/.exec(rest))) return k.made.has(m[1]!) ? { exitCode: 0, stderr: '', stdout: [...listChain(m[1]!), ''].join('\n') } : fail;
    if (rest === '-S' || rest === '-S INPUT') {
      const jumps = [...k.jumps].map(([c, spec]) => `-A INPUT ${spec} -j ${c}`);
      const out =
        rest === '-S INPUT'
          ? ['-P INPUT ACCEPT', ...jumps]
          : ['-P INPUT ACCEPT', ...[...k.made].map((c) => `-N ${c}`), ...jumps, ...[...k.made].flatMap((c) => listChain(c).slice(1))];
      return { exitCode: 0, stderr: '', stdout: [...out, ''].join('\n') };
    }
    return undefined;
  });
  return chains;
}
