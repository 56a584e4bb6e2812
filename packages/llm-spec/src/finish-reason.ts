import { z } from 'zod';

/** The normalised finish reasons OpenRouter returns; the provider's own value travels as `native_finish_reason`. */
export const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'error']);
export type FinishReason = z.infer<typeof finishReasonSchema>;
