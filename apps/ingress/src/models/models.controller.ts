import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ServiceUnavailableError } from '@switchyard/contracts';
import type { CatalogIndex } from '@switchyard/routing-policy';
import type { FastifyRequest } from 'fastify';
import { AuthenticatorService } from '../auth/authenticator.service.js';
import { accountPolicyOf } from '../chat/planning.js';
import { CatalogStateService } from '../state/catalog-state.service.js';
import { countModels, listModels, listUserModels, renderModelDetail, renderModelEndpoints, renderProviders, renderZdrEndpoints, type ModelsQuery } from './model-listing.js';

/** The catalog in OpenRouter's shapes, from the in-memory snapshot (anonymous, except /models/user and /endpoints/zdr). */
@Controller('api/v1')
export class ModelsController {
  constructor(
    private readonly state: CatalogStateService,
    private readonly authenticator: AuthenticatorService,
  ) {}

  private index(): CatalogIndex {
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');
    return index;
  }

  @Get('models')
  list(@Query() query: ModelsQuery): unknown {
    return listModels(this.index(), query, { routingTable: this.state.routingTable });
  }

  @Get('models/count')
  count(@Query() query: ModelsQuery): unknown {
    return countModels(this.index(), query);
  }

  @Get('models/user')
  async listForUser(@Req() request: FastifyRequest, @Query() query: ModelsQuery): Promise<unknown> {
    const caller = await this.authenticator.authenticate(request.headers, { allowManagement: true });
    return listUserModels(this.index(), query, accountPolicyOf(caller), { routingTable: this.state.routingTable, basePath: '/api/v1/models/user', allowedModels: caller.key.allowedModels });
  }

  @Get('models/:author/:slug/endpoints')
  endpoints(@Param('author') author: string, @Param('slug') slug: string): unknown {
    return renderModelEndpoints(this.index(), `${author}/${slug}`, this.state.routingTable);
  }

  /** The endpoints left when zero data retention is enforced (a key is required, as on OpenRouter). */
  @Get('endpoints/zdr')
  async zdrEndpoints(@Req() request: FastifyRequest): Promise<unknown> {
    await this.authenticator.authenticate(request.headers, { allowManagement: true });
    return renderZdrEndpoints(this.index(), this.state.routingTable);
  }

  @Get('model/:author/:slug')
  detail(@Param('author') author: string, @Param('slug') slug: string): unknown {
    return renderModelDetail(this.index(), `${author}/${slug}`);
  }

  @Get('providers')
  providers(): unknown {
    return renderProviders(this.index());
  }
}
