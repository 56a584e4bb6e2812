import type { Caller } from '../auth/authenticator.service.js';
import { accountPolicyOf, planFailure } from './planning.js';

describe('planning inputs and failures', () => {
  it("hands the planner the account's privacy policy and provider lists", () => {
    const caller = {
      account: {
        privacy: { allowTraining: false, allowRetention: true, requireZdr: true, logPrompts: false },
        allowedProviders: null,
        ignoredProviders: ['deepinfra'],
        byokProviders: ['openai'],
      },
    } as unknown as Caller;
    expect(accountPolicyOf(caller)).toEqual({ allowTraining: false, allowRetention: true, requireZdr: true, allowedProviders: undefined, ignoredProviders: ['deepinfra'], byokProviders: ['openai'] });
  });

  it('renders a plan with no endpoint as OpenRouter does: its status, an availability code and why endpoints were dropped', () => {
    const notFound = planFailure({ ok: false, error: { status: 404, code: 'model_not_found', message: 'No model named acme/x', excludedBy: [], requestedModels: ['acme/x'] } });
    expect(notFound.toEnvelope()).toEqual({
      error: { code: 404, message: 'No model named acme/x', metadata: { error_type: 'not_found', availability_code: 'model_not_found', availability: { code: 'model_not_found', retryable: false, requested_models: ['acme/x'], excluded_by: [] } } },
    });
    const filtered = planFailure({
      ok: false,
      error: { status: 400, code: 'constraint_filtered', message: 'No endpoint takes max_tokens 900000', excludedBy: ['max_tokens'], requestedModels: ['acme/chat'], constraint: { field: 'max_tokens', detail: 'above every context length' } },
    });
    expect(filtered.status).toBe(400);
    expect(filtered.toEnvelope().error.metadata).toMatchObject({ error_type: 'invalid_request', availability_code: 'constraint_filtered', availability: { excluded_by: ['max_tokens'], constraint: { field: 'max_tokens', detail: 'above every context length' } } });
  });
});
