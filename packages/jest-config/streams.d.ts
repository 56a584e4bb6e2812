/** Deletes every JetStream stream whose subjects all belong to one of `prefixes` (never `sy`); how many were deleted. */
export function deletePrefixStreams(natsUrl: string, prefixes: readonly string[]): Promise<number>;
