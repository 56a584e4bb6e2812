import type { StreamPart } from '@switchyard/llm-spec';

export interface OpenAiToolCallDelta {
  index?: number | null;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

interface ToolCallSlot {
  /** The canonical index, given when the call starts (-1 before). */
  index: number;
  id: string | undefined;
  name: string | undefined;
  pendingArguments: string;
  started: boolean;
  ended: boolean;
}

/**
 * Streamed tool calls by index → start / delta / end parts. A call starts when its name is known (with the
 * upstream id, or a synthesised one if the host sends none); arguments that come before that are held back. Hosts
 * that reuse index 0 for every call (new id each time) get a new canonical index per id. Calls end when the
 * choice finishes.
 */
export class OpenAiToolCallTracker {
  private readonly slots = new Map<number, ToolCallSlot>();
  private nextIndex = 0;

  /** Whether any tool call has started (a "stop" that carries tool calls is reported as tool_calls). */
  get hasToolCalls(): boolean {
    return this.nextIndex > 0;
  }

  process(deltas: ReadonlyArray<OpenAiToolCallDelta>): StreamPart[] {
    const parts: StreamPart[] = [];
    deltas.forEach((delta, position) => {
      const upstreamIndex = delta.index ?? position;
      let slot = this.slots.get(upstreamIndex);
      if (slot && delta.id && slot.id && delta.id !== slot.id) {
        this.endSlot(slot, parts);
        slot = undefined;
      }
      if (!slot) {
        slot = { index: -1, id: delta.id ?? undefined, name: delta.function?.name ?? undefined, pendingArguments: '', started: false, ended: false };
        this.slots.set(upstreamIndex, slot);
      } else {
        if (delta.id && !slot.id) slot.id = delta.id;
        if (delta.function?.name && !slot.name) slot.name = delta.function.name;
      }
      if (slot.ended) return;
      const argumentsDelta = delta.function?.arguments ?? '';
      if (!slot.started) {
        slot.pendingArguments += argumentsDelta;
        if (slot.name) {
          slot.started = true;
          slot.index = this.nextIndex++;
          parts.push({ type: 'tool-call-start', index: slot.index, id: slot.id ?? `call_${slot.index}`, name: slot.name });
          if (slot.pendingArguments) parts.push({ type: 'tool-call-delta', index: slot.index, argumentsDelta: slot.pendingArguments });
          slot.pendingArguments = '';
        }
      } else if (argumentsDelta) {
        parts.push({ type: 'tool-call-delta', index: slot.index, argumentsDelta });
      }
    });
    return parts;
  }

  /** Ends every open call (the choice finished, or the stream is being closed). */
  endAll(): StreamPart[] {
    const parts: StreamPart[] = [];
    for (const slot of this.slots.values()) this.endSlot(slot, parts);
    return parts;
  }

  private endSlot(slot: ToolCallSlot, parts: StreamPart[]): void {
    if (slot.started && !slot.ended) parts.push({ type: 'tool-call-end', index: slot.index });
    slot.ended = true;
  }
}
