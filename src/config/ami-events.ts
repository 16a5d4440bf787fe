// The default of a jail's `amievents` key: the four security events that are failures (the filters
// read the configured list), and every event name that reports a failure.

export const DEFAULT_SECURITY_EVENTS: readonly string[] = Object.freeze(['FailedACL', 'InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword']);

/** Security events that report a failure (docs/asterisk-facts.md §1.1); ChallengeSent/SuccessfulAuth never do. */
export const FAILURE_EVENTS: readonly string[] = Object.freeze([
  'FailedACL',
  'InvalidAccountID',
  'SessionLimit',
  'MemoryLimit',
  'LoadAverageLimit',
  'RequestNotSupported',
  'RequestNotAllowed',
  'AuthMethodNotAllowed',
  'RequestBadFormat',
  'UnexpectedAddress',
  'ChallengeResponseFailed',
  'InvalidPassword',
  'InvalidTransport',
]);
