// `voipguard -h`: the commands, in fail2ban-client's words.

export const CLIENT_HELP = `Usage: voipguard [OPTIONS] <COMMAND>

voipguard guards Asterisk against brute force and SIP scanning (fail2ban rebuilt for VoIP).

Options (anywhere on the line):
  -c DIR, --conf DIR      config directory (default /etc/voipguard); the socket path is read from it
  -s SOCKET, --socket S   control socket (default: [Definition] socket, /run/voipguard/voipguard.sock)
  --json                  print the daemon's answer as one JSON line (docs/service.md)
  --timeout SECONDS       how long to wait for the daemon (default 30)
  -h, --help              this text

Service:
  daemon [-c DIR] [--dry-run] [--flush] [-f]  run the service in the foreground (systemd runs this)
  ping                                   is the daemon there?
  version                                print the version
  stop [--flush]                         stop the daemon; bans stay in the kernel until the next
                                         start, unless --flush removes every rule (docs/restart.md)
  reload [JAIL]                          re-read the configuration (all jails, or one)
  set loglevel LEVEL | get loglevel      CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG
  set logtarget TARGET | get logtarget   STDOUT, STDERR or a file path (reopened on SIGUSR1)
  flushlogs                              reopen the log file (logrotate's postrotate)

Jails:
  status                                 the jails, and what the service waits for
  status JAIL [short]                    failures, bans and sources of one jail
  status --all [short]                   the service's status, then every jail's
  stats                                  one line per jail: sources, failed, banned
  banned [IP…]                           banned addresses per jail, or the jails banning each IP
  set JAIL banip IP…                     ban by hand (the same path as a detected attack)
  set JAIL unbanip [--all] IP…           unban in one jail
  unban --all | unban IP…                unban in every jail
  set JAIL addignoreip|delignoreip IP…   change the ignore list (IPs or CIDR ranges) until reload
  set JAIL KEY VALUE                      change maxretry, findtime, bantime, maxskew or bantime.* until
                                         reload (not saved; answers the new value)
  get JAIL KEY                           ignoreip, logpath, actions, or a key that set takes
  get JAIL banip [--with-time]

Also: regex (test filters), asterisk (config snippets), doctor (check the setup).
Exit codes: 0 ok, 64 usage, 65 bad data, 69 daemon not running, 77 permission, 78 config.
`;
