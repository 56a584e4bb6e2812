import type { ProviderDirectory } from '../catalog/provider-directory.service.js';
import type { CredentialsService } from '../credentials/credentials.service.js';
import type { AttemptHandler } from './attempt.handler.js';
import { StatusHandler } from './status.handler.js';

describe('StatusHandler', () => {
  const attempts = { accepting: true, list: () => [] } as unknown as AttemptHandler;
  const credentials = {
    list: () => [],
    uncredentialed: (providers: Iterable<{ slug: string }>) => [...providers].map((provider) => provider.slug).filter((slug) => slug !== 'simulator'),
  } as unknown as CredentialsService;
  const directoryWith = (loaded: boolean) =>
    ({ loaded, version: loaded ? 3 : -1, all: () => new Map(loaded ? [['openai', { slug: 'openai' }], ['simulator', { slug: 'simulator' }]] : []) }) as unknown as ProviderDirectory;

  it('names the providers without a platform key once it has the catalog', () => {
    expect(new StatusHandler(attempts, credentials, directoryWith(true)).status({})).toMatchObject({ catalogVersion: 3, uncredentialed: ['openai'] });
  });

  it('says it cannot tell (null, not an empty list that would read as "every provider has a key") before the catalog arrived', () => {
    expect(new StatusHandler(attempts, credentials, directoryWith(false)).status({})).toMatchObject({ catalogVersion: -1, uncredentialed: null });
  });
});
