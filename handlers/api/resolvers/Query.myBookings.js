// Pipeline [queryBookingRefs, getBookingsByRefs]: the caller's newest bookings.
import { LIMITS } from '../lib.js';

export function request(ctx) {
  ctx.stash.refQuery = { limit: LIMITS.list, nextToken: null };
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
