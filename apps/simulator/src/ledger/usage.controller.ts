import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { AdminOnly } from '@switchyard/nest-kit';
import { SIMULATOR_CONFIG, type SimulatorConfig } from '../config/simulator.config.js';
import { KnobStore } from '../knobs/knob-store.js';
import type { InflightView } from '../upstream/exchange.js';
import { SimulatorServer } from '../upstream/simulator-server.js';
import { UsageLedger, type ModelUsage } from './usage-ledger.js';

/** What the simulator billed, what is open right now, where the upstreams listen, and a reset for tests. */
@Controller('admin')
@AdminOnly()
export class UsageController {
  constructor(
    private readonly ledger: UsageLedger,
    private readonly knobs: KnobStore,
    private readonly server: SimulatorServer,
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig,
  ) {}

  @Get('usage')
  usage(): { models: Record<string, ModelUsage>; totals: ModelUsage } {
    return this.ledger.snapshot();
  }

  @Get('inflight')
  inflight(): { count: number; requests: InflightView[] } {
    const requests = this.server.inflightRequests();
    return { count: requests.length, requests };
  }

  @Get('upstream')
  upstream(): { host: string; port: number; baseUrls: Record<string, string> } {
    const port = this.server.port;
    const host = this.config.SIMULATOR_HOST === '0.0.0.0' || this.config.SIMULATOR_HOST === '::' ? '127.0.0.1' : this.config.SIMULATOR_HOST;
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return {
      host: this.config.SIMULATOR_HOST,
      port,
      baseUrls: { openai: `${origin}/openai/v1`, anthropic: `${origin}/anthropic`, gemini: `${origin}/gemini/v1beta`, azure: `${origin}/azure` },
    };
  }

  /** Knobs back to SIMULATOR_KNOBS, billing counters and failure cadences zeroed, cache prefixes forgotten. */
  @Post('reset')
  @HttpCode(200)
  reset(): { reset: true } {
    this.knobs.reset();
    this.ledger.reset();
    this.server.resetState();
    return { reset: true };
  }
}
