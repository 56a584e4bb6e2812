import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { GatewayError, ServiceUnavailableError } from '@switchyard/contracts';
import { type Observable, catchError, throwError } from 'rxjs';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/** Whether an error means Postgres is unreachable or refusing work (as opposed to a bug). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown; name?: unknown } | undefined;
  const code = String(candidate?.code ?? candidate?.driverError?.code ?? '');
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true;
  const message = String(candidate?.message ?? '');
  return /Connection terminated|connection is not established|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/**
 * Turns a database outage into a 503 that callers may retry (ingress keeps serving from its caches and leases)
 * instead of a masked 500. Other errors pass through unchanged.
 */
@Injectable()
export class DatabaseUnavailableInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!GatewayError.isInstance(error) && isDatabaseUnavailable(error)) {
          return throwError(() => new ServiceUnavailableError('Billing storage is unavailable; retry shortly', { reason: 'database_unavailable' }));
        }
        return throwError(() => error);
      }),
    );
  }
}
