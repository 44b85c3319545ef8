// Every venue by name: the first page of the venues index.
import { LIMITS, passDataError, venuesQuery } from '../lib.js';

export function request() {
  return venuesQuery(LIMITS.list, null);
}

export function response(ctx) {
  passDataError(ctx);
  return ctx.result.items;
}
