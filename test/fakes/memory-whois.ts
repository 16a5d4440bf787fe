// The in-memory twin of ExecWhois: answers from a table and records what was asked.

import type { WhoisLookup } from '../../src/notify/whois.js';

export class MemoryWhois implements WhoisLookup {
  readonly asked: string[] = [];
  constructor(private readonly answers: Readonly<Record<string, string>> = {}) {}
  async lookup(ip: string): Promise<string | null> {
    this.asked.push(ip);
    return this.answers[ip] ?? null;
  }
}
