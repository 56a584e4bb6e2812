import { CancelSource } from './cancel-signal.js';

describe('CancelSource', () => {
  it('fires every listener once, in order, and reports aborted', () => {
    const source = new CancelSource();
    const calls: string[] = [];
    source.addEventListener('abort', () => calls.push('first'));
    source.addEventListener('abort', () => calls.push('second'));
    expect(source.aborted).toBe(false);
    source.abort();
    source.abort();
    expect(source.aborted).toBe(true);
    expect(calls).toEqual(['first', 'second']);
  });

  it('does not call a listener that was removed, nor one added after it fired', () => {
    const source = new CancelSource();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    source.addEventListener('abort', removed);
    source.removeEventListener('abort', removed);
    source.abort();
    source.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual([]);
  });
});
