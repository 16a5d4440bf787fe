// A Redis client's error as the operator reads it (`status`, `doctor`): its message on one line,
// control characters blanked, at most 200 characters. A TLS or a Redis error may quote the peer.

export function clientError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
}
