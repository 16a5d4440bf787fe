// Why a test cannot run as the current user, for node:test's `skip` (false: it can run). `npm test`
// as a non-root user runs everything else and lists these as skipped, with the reason.

const root = process.getuid?.() === 0;

/** Network namespaces, iptables/ip6tables/ipset/nft and conntrack need root. */
export const KERNEL_SKIP: string | false = root ? false : 'needs root: network namespaces and the kernel firewall (run npm test as root)';

/** Tests that prove another user is refused the control socket must be root to create it and to switch users. */
export const SOCKET_PERMISSION_SKIP: string | false = root ? false : 'needs root: a root-owned control socket and a switch to the nobody user';
