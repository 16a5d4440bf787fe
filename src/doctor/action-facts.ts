// What the doctor needs from a jail's actions, read from the same compiled action definitions the
// daemon runs: the programs they start (so the doctor can say which are missing) and how to list
// the chain they hook and recognise their jump (action.d hooklist/hookjump).

import type { ConfigFileReader } from '../config/config-set.js';
import type { JailConfig } from '../config/load-config.js';
import { VoipguardError } from '../core/errors.js';
import { FAMILIES, loadActionDefinition } from '../firewall/action-definition.js';
import type { FirewallHook } from './doctor-types.js';

export interface ActionFactsResult {
  readonly tools: readonly string[];
  readonly hooks: readonly FirewallHook[];
  /** Actions that do not load (the daemon would refuse the jail for the same reason). */
  readonly errors: readonly string[];
  /** Some action writes a firewall rule per ban (its ban runs iptables or ip6tables, no set). */
  readonly perRuleBans: boolean;
}

export type ActionFacts = (jail: JailConfig) => ActionFactsResult;

export function actionFactsFor(configDir: string, reader?: ConfigFileReader): ActionFacts {
  return (jail) => {
    const tools = new Set<string>();
    const hooks: FirewallHook[] = [];
    const errors: string[] = [];
    let perRuleBans = false;
    for (const a of jail.actions) {
      try {
        const def = loadActionDefinition(a.name, a.args, { jail: jail.name, configDir, params: jail.raw, ...(reader ? { reader } : {}) });
        if (def.kind !== 'command') continue;
        for (const f of FAMILIES) {
          const p = def.families[f];
          const commands = [...p.start, ...p.stop, ...p.check, ...p.flush, ...p.list, ...p.hookList, ...(p.batch ? [p.batch.command] : [])];
          for (const argv of commands) if (argv[0] !== undefined) tools.add(argv[0]);
          for (const t of [...p.ban, ...p.unban]) if (typeof t.slots[0] === 'string') tools.add(t.slots[0]);
          for (const t of p.ban) if (t.slots[0] === 'iptables' || t.slots[0] === 'ip6tables') perRuleBans = true;
          if (p.hookJump !== null) for (const list of p.hookList) hooks.push({ action: `${def.action}[${def.name}]`, family: f, list, jump: p.hookJump });
        }
      } catch (e) {
        if (!(e instanceof VoipguardError)) throw e;
        errors.push(`jail ${jail.name}, action ${a.name}: ${e.describe()}`);
      }
    }
    return { tools: [...tools].sort(), hooks, errors, perRuleBans };
  };
}
