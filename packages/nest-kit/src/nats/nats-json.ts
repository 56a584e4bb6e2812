/** JSON helpers for NATS payloads (strings on the wire; nats.js accepts them directly). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value);
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(textDecoder.decode(data));
}

const textDecoder = new TextDecoder();
