// The jail keys of docs/firewall.md, "REJECT, then DROP" and "Subnet bans": spread into the jail
// schema (jail-schema.ts), kept here so the defence-in-the-kernel keys read as one group. Every
// default keeps the behaviour from before them: no DROP escalation, no subnet bans.

import { custom, fail, int, parseDurationField } from './fields.js';

export const KERNEL_FIELDS = {
  droprepeat: int('droprepeat', '0', 0, 1000, 'a ban whose ban count is this or more is applied with DROP, earlier ones with blocktype; 0: off'),
  subnetmaxbans: int('subnetmaxbans', '0', 0, 100_000, 'distinct banned addresses of one prefix within subnetfindtime that ban the prefix; 0: off'),
  subnetprefix4: int('subnetprefix4', '24', 8, 32, 'IPv4 prefix length of a subnet ban'),
  subnetprefix6: int('subnetprefix6', '64', 16, 128, 'IPv6 prefix length of a subnet ban'),
  subnetfindtime: custom('subnetfindtime', '1h', 0, 'the window in which subnetmaxbans addresses of one prefix must be banned', (raw, ctx) => {
    const ms = parseDurationField(raw, { permanent: false }, ctx);
    if (ms < 1000) fail('VG_CONFIG_TYPE', `${raw.trim()} is too short (1s at least)`, ctx);
    return ms;
  }),
} as const;
