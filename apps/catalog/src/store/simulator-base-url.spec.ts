import { simulatorBaseUrl } from './catalog-bootstrap.service.js';

describe('simulatorBaseUrl', () => {
  it('puts the OpenAI-format simulator at SIMULATOR_BASE_URL and the others at its origin with their own paths', () => {
    const configured = 'http://127.0.0.1:41234/openai/v1';
    expect(simulatorBaseUrl('simulator', 'http://127.0.0.1:8090/openai/v1', configured)).toBe(configured);
    expect(simulatorBaseUrl('simulator-anthropic', 'http://127.0.0.1:8090/anthropic/v1', configured)).toBe('http://127.0.0.1:41234/anthropic/v1');
    expect(simulatorBaseUrl('simulator-azure', 'http://127.0.0.1:8090/azure', configured)).toBe('http://127.0.0.1:41234/azure');
  });

  it('leaves real providers alone', () => {
    expect(simulatorBaseUrl('openai', 'https://api.openai.com/v1', 'http://127.0.0.1:1/openai/v1')).toBeUndefined();
    expect(simulatorBaseUrl('simulatorx', 'http://x/y', 'http://127.0.0.1:1/openai/v1')).toBeUndefined();
  });
});
