import { type DynamicModule, Module } from '@nestjs/common';
import { SIMULATOR_CONFIG, type SimulatorConfig } from './config/simulator.config.js';
import { KnobStore } from './knobs/knob-store.js';
import { KnobsController } from './knobs/knobs.controller.js';
import { SimulatorMetrics } from './ledger/simulator-metrics.js';
import { UsageController } from './ledger/usage.controller.js';
import { UsageLedger } from './ledger/usage-ledger.js';
import { SimulatorServer } from './upstream/simulator-server.js';

/** The simulated upstreams (their own node:http server) and the admin API that steers and reads them. */
@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      controllers: [KnobsController, UsageController],
      providers: [{ provide: SIMULATOR_CONFIG, useValue: config }, KnobStore, UsageLedger, SimulatorMetrics, SimulatorServer],
      exports: [SimulatorServer, KnobStore, UsageLedger],
    };
  }
}
