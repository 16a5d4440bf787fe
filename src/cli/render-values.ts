// The short answers, in fail2ban-client's words where it has some: `banned` as a Python-style list,
// `get <jail> ignoreip|logpath` as a small tree, `get <jail> banip --with-time` one IP per line.

import type { BanTime, JailValue } from '../control/replies.js';
import type { JailKey } from '../control/protocol.js';
import { formatLocalTime } from './render-time.js';

const py = (s: string) => `'${s}'`;
const pyList = (xs: readonly string[]) => `[${xs.map(py).join(', ')}]`;

/** `banned`: [{'asterisk': ['192.0.2.44']}]; `banned IP…`: one list of jails per IP, in order. */
export function renderBanned(data: Readonly<Record<string, readonly string[]>>, ips: readonly string[]): string {
  if (ips.length) return `[${ips.map((ip) => pyList(data[ip] ?? [])).join(', ')}]\n`;
  return `[${Object.keys(data)
    .sort()
    .map((j) => `{${py(j)}: ${pyList(data[j]!)}}`)
    .join(', ')}]\n`;
}

function list(title: string, xs: readonly string[], empty: string): string {
  if (!xs.length) return `${empty}\n`;
  return [title, ...xs.map((x, i) => `${i === xs.length - 1 ? '`- ' : '|- '}${x}`)].join('\n') + '\n';
}

export function renderIgnoreList(ips: readonly string[]): string {
  return list('These IP addresses/networks are ignored:', ips, 'No IP address/network is ignored');
}

export function renderBanTimes(bans: readonly BanTime[]): string {
  return bans
    .map((b) => {
      const start = formatLocalTime(b.start);
      if (b.until === null) return `${b.ip} \t${start} + -1 = permanent\n`;
      return `${b.ip} \t${start} + ${Math.round((b.until - b.start) / 1000)} = ${formatLocalTime(b.until)}\n`;
    })
    .join('');
}

export function renderJailValue(jail: string, key: JailKey, value: JailValue, withTime: boolean): string {
  if (typeof value === 'number' || typeof value === 'string') return `${value}\n`;
  // fail2ban-client prints Python's words
  if (typeof value === 'boolean') return value ? 'True\n' : 'False\n';
  if (value === null) return 'None\n';
  if (key === 'banip' && withTime) return renderBanTimes(value as readonly BanTime[]);
  const xs = value as readonly string[];
  switch (key) {
    case 'ignoreip':
      return renderIgnoreList(xs);
    case 'logpath':
      return list('Current monitored log file(s):', xs, 'No file is currently monitored');
    case 'actions':
      return `The jail ${jail} has the following actions:\n${xs.join(', ')}\n`;
    default:
      return `${xs.join(' ')}\n`;
  }
}
