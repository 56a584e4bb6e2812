import { BadRequestError } from '@switchyard/contracts';
import type { FastifyRequest } from 'fastify';
import { familyErrorRenderer } from './family-error.renderer.js';

const request = (url: string) => ({ url }) as FastifyRequest;

describe('familyErrorRenderer', () => {
  const error = new BadRequestError('Malformed JSON in request body');

  it("renders Anthropic's error shape under /api/v1/messages", () => {
    const rendered = familyErrorRenderer(error, request('/api/v1/messages?beta=true'));
    expect(rendered?.status).toBe(400);
    expect(rendered?.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'Malformed JSON in request body' } });
  });

  it("renders the Responses API's shape under /api/v1/responses", () => {
    const rendered = familyErrorRenderer(error, request('/api/v1/responses'));
    expect(rendered?.body).toMatchObject({ error: { message: 'Malformed JSON in request body' } });
  });

  it("keeps OpenRouter's envelope everywhere else", () => {
    expect(familyErrorRenderer(error, request('/api/v1/chat/completions'))).toBeUndefined();
  });
});
