import { Inject, Injectable } from '@nestjs/common';
import { SIMULATOR_CONFIG, type SimulatorConfig } from '../config/simulator.config.js';
import { failsAt } from './failure-cadence.js';
import { baseKnobs, resolveKnobs, WILDCARD_MODEL, type EffectiveKnobs, type Knobs, type KnobsByModel } from './knobs.schema.js';

/** Bound on per-model caches, so a client inventing model names cannot grow memory without limit. */
const MAX_TRACKED_MODELS = 10_000;

/**
 * The knobs in force: the boot defaults from SIMULATOR_KNOBS, changed at runtime through the admin API, and the
 * per-model request counters of the failure cadence. Reads on the hot path are one map lookup.
 */
@Injectable()
export class KnobStore {
  private readonly base: EffectiveKnobs;
  private readonly initial: KnobsByModel;
  private knobs = new Map<string, Knobs>();
  private readonly resolved = new Map<string, EffectiveKnobs>();
  private readonly requestCounts = new Map<string, number>();

  constructor(@Inject(SIMULATOR_CONFIG) config: Pick<SimulatorConfig, 'SIMULATOR_KNOBS' | 'DEFAULT_COMPLETION_TOKENS' | 'DEFAULT_REASONING_TOKENS'>) {
    this.base = baseKnobs({ completionTokens: config.DEFAULT_COMPLETION_TOKENS, reasoningTokens: config.DEFAULT_REASONING_TOKENS });
    this.initial = structuredClone(config.SIMULATOR_KNOBS ?? {});
    this.reset();
  }

  /** The effective knobs of a request for `model`. */
  forModel(model: string): EffectiveKnobs {
    let knobs = this.resolved.get(model);
    if (!knobs) {
      if (this.resolved.size >= MAX_TRACKED_MODELS) this.resolved.clear();
      knobs = resolveKnobs(this.base, this.knobs.get(WILDCARD_MODEL), model === WILDCARD_MODEL ? undefined : this.knobs.get(model));
      this.resolved.set(model, knobs);
    }
    return knobs;
  }

  /** Counts one request of `model` and says whether the failure cadence makes it fail. */
  nextRequestFails(model: string, knobs: EffectiveKnobs): boolean {
    if (knobs.failureRate <= 0) return false;
    if (this.requestCounts.size >= MAX_TRACKED_MODELS && !this.requestCounts.has(model)) this.requestCounts.clear();
    const count = (this.requestCounts.get(model) ?? 0) + 1;
    this.requestCounts.set(model, count);
    return failsAt(count, knobs.failureRate);
  }

  defaults(): EffectiveKnobs {
    return { ...this.base };
  }

  /** The configured entries (model → knobs as set), without defaults. */
  entries(): KnobsByModel {
    return Object.fromEntries([...this.knobs.entries()].map(([model, knobs]) => [model, { ...knobs }]));
  }

  /** Replaces the knobs of `model` (`*` for every model). Restarts every failure cadence. */
  set(model: string, knobs: Knobs): EffectiveKnobs {
    this.knobs.set(model, { ...knobs });
    this.changed();
    return this.forModel(model);
  }

  /** Removes the knobs of `model`; false when it had none. Restarts every failure cadence. */
  delete(model: string): boolean {
    const existed = this.knobs.delete(model);
    this.changed();
    return existed;
  }

  /** Knobs back to the boot configuration, cadences restarted. */
  reset(): void {
    this.knobs = new Map(Object.entries(structuredClone(this.initial)));
    this.changed();
  }

  private changed(): void {
    this.resolved.clear();
    this.requestCounts.clear();
  }
}
