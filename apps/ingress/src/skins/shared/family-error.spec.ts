import { AuthenticationError } from '@switchyard/contracts';
import type { FastifyReply } from 'fastify';
import { anthropicErrors } from '../messages/anthropic-errors.js';
import { renderFamilyError } from './family-error.js';

function fakeReply(state: { headersSent?: boolean; sent?: boolean } = {}) {
  const written: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
  const raw = {
    headersSent: state.headersSent ?? false,
    writableEnded: false,
    writeHead: (status: number, headers: Record<string, unknown>) => Object.assign(written, { status, headers }),
    end: (body: string) => {
      written.body = body;
      raw.writableEnded = true;
    },
  };
  const reply = {
    raw,
    sent: state.sent ?? false,
    request: { method: 'POST', url: '/api/v1/messages' },
    status(code: number) {
      written.status = code;
      return reply;
    },
    headers(headers: Record<string, string>) {
      written.headers = { ...written.headers, ...headers };
      return reply;
    },
    header(name: string, value: string) {
      written.headers = { ...written.headers, [name]: value };
      return reply;
    },
    send(body: string) {
      written.body = body;
      return Promise.resolve(reply);
    },
  };
  return { reply: reply as unknown as FastifyReply, written };
}

describe('renderFamilyError', () => {
  it('answers with the family’s status and body before anything was sent', () => {
    const { reply, written } = fakeReply();
    renderFamilyError(reply, anthropicErrors, new AuthenticationError('Invalid API key'));
    expect(written.status).toBe(401);
    expect(JSON.parse(written.body!)).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'Invalid API key' } });
  });

  it('writes the head itself on a hijacked reply, and ends a started stream with the family’s error event', () => {
    const hijacked = fakeReply({ sent: true });
    renderFamilyError(hijacked.reply, anthropicErrors, new Error('boom'));
    expect(hijacked.written.status).toBe(500);
    expect(JSON.parse(hijacked.written.body!)).toMatchObject({ error: { type: 'api_error', message: 'Internal server error' } });

    const streaming = fakeReply({ headersSent: true, sent: true });
    renderFamilyError(streaming.reply, anthropicErrors, new AuthenticationError('gone'));
    expect(streaming.written.status).toBeUndefined();
    expect(streaming.written.body).toBe('event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"gone","error_type":"authentication"}}\n\n');
  });
});
