import type { MsgHdrs } from '@nats-io/transport-node';

/** The part of a JetStream message the batch handlers use (a `JsMsg` satisfies it). */
export interface InboundMessage {
  subject: string;
  /** Stream sequence. */
  seq: number;
  data: Uint8Array;
  headers?: MsgHdrs;
  redelivered?: boolean;
  info?: { pending: number };
}

/** What a batch handler reports (for metrics). */
export interface BatchOutcome {
  stored: number;
  duplicates: number;
  deadLettered: number;
}
