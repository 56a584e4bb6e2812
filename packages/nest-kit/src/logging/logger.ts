import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's console logger: text with the service name in development, one JSON object a line in production. */
export function createLogger(serviceName: string, options: { level?: string; format?: 'text' | 'json' } = {}): ConsoleLogger {
  const level = (options.level ?? 'log') as LogLevel;
  const index = LEVELS.indexOf(level);
  return new ConsoleLogger(serviceName, {
    json: options.format === 'json',
    logLevels: index === -1 ? ['fatal', 'error', 'warn', 'log'] : LEVELS.slice(0, index + 1),
    colors: options.format !== 'json' && process.stdout.isTTY,
    prefix: serviceName,
  });
}
