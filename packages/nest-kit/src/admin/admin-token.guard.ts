import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { AuthenticationError } from '@switchyard/contracts';
import { timingSafeEqual } from 'node:crypto';

export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Admin endpoints require `Authorization: Bearer <ADMIN_TOKEN>` (or `X-Admin-Token`). */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const authorization = request.headers['authorization'] ?? '';
    const presented = authorization.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : (request.headers['x-admin-token'] ?? '');
    if (!presented || !safeEqual(presented, this.token)) throw new AuthenticationError('Admin endpoints require a valid admin token');
    return true;
  }
}

export const IS_ADMIN = 'switchyard:admin';

/** Marks a controller or route as admin-only. */
export function AdminOnly(): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(IS_ADMIN, true), UseGuards(AdminTokenGuard));
}
