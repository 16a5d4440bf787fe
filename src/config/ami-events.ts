// The default of a jail's `amievents` key: the four security events that are failures. The filters
// read the configured list; this default lives with the schema that applies it.

export const DEFAULT_SECURITY_EVENTS: readonly string[] = Object.freeze(['FailedACL', 'InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword']);
