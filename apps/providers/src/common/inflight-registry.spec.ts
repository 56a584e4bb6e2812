import { Logger } from '@nestjs/common';
import { InflightRegistry, type Interruptible } from './inflight-registry.js';

class FakeCall implements Interruptible {
  readonly causes: string[] = [];
  interrupt(cause: { kind: 'cancelled'; reason: string } | { kind: 'shutdown' }): void {
    this.causes.push(cause.kind === 'cancelled' ? `cancelled: ${cause.reason}` : 'shutdown');
  }
}

describe('InflightRegistry', () => {
  const logger = new Logger('test');

  it('interrupts a running call on cancel', () => {
    const registry = new InflightRegistry<FakeCall>();
    const call = new FakeCall();
    registry.add('a', call);
    registry.cancel('a', 'client went away');
    expect(call.causes).toEqual(['cancelled: client went away']);
  });

  it('remembers a cancel that arrives before its call and interrupts the call when it arrives', () => {
    const registry = new InflightRegistry<FakeCall>();
    registry.cancel('b', 'early');
    const call = new FakeCall();
    registry.add('b', call);
    expect(call.causes).toEqual(['cancelled: cancelled before it started']);
    const later = new FakeCall();
    registry.add('c', later);
    expect(later.causes).toEqual([]);
  });

  it('waits for running calls on shutdown and aborts those still running after the deadline', async () => {
    const registry = new InflightRegistry<FakeCall>();
    const quick = new FakeCall();
    const slow = new FakeCall();
    registry.add('quick', quick);
    registry.add('slow', slow);
    setTimeout(() => registry.remove('quick'), 20);
    slow.interrupt = (cause) => {
      slow.causes.push(cause.kind);
      setTimeout(() => registry.remove('slow'), 5);
    };
    await registry.drain(100, logger, 'calls');
    expect(quick.causes).toEqual([]);
    expect(slow.causes).toEqual(['shutdown']);
    expect(registry.size).toBe(0);
  });
});
