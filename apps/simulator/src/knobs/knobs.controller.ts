import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { BadRequestError, NotFoundError } from '@switchyard/contracts';
import { AdminOnly } from '@switchyard/nest-kit';
import { KnobStore } from './knob-store.js';
import { knobsSchema, type EffectiveKnobs, type Knobs, type KnobsByModel } from './knobs.schema.js';

/** Runtime knobs per model (`*` = every model). Model ids in the path are URL-encoded (`openai%2Fgpt-4o-mini`). */
@Controller('admin/knobs')
@AdminOnly()
export class KnobsController {
  constructor(private readonly knobs: KnobStore) {}

  @Get()
  list(): { defaults: EffectiveKnobs; knobs: KnobsByModel } {
    return { defaults: this.knobs.defaults(), knobs: this.knobs.entries() };
  }

  @Get(':model')
  get(@Param('model') model: string): { model: string; knobs: Knobs | null; effective: EffectiveKnobs } {
    return { model, knobs: this.knobs.entries()[model] ?? null, effective: this.knobs.forModel(model) };
  }

  /** Replaces the model's knobs with the body (unknown fields and out-of-range values are a 400). */
  @Put(':model')
  put(@Param('model') model: string, @Body() body: unknown): { model: string; knobs: Knobs; effective: EffectiveKnobs } {
    if (!model || model.length > 512) throw new BadRequestError('The model id must be 1 to 512 characters');
    const result = knobsSchema.safeParse(body ?? {});
    if (!result.success) {
      throw new BadRequestError(`Invalid knobs: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')}`, {
        issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
    }
    const effective = this.knobs.set(model, result.data);
    return { model, knobs: result.data, effective };
  }

  @Delete(':model')
  remove(@Param('model') model: string): { model: string; deleted: true } {
    if (!this.knobs.delete(model)) throw new NotFoundError(`No knobs are set for model '${model}'`);
    return { model, deleted: true };
  }
}
