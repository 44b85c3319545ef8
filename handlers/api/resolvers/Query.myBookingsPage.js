// Pipeline [queryBookingRefs, getBookingsByRefs]: the caller's bookings, newest first, paged.
import { pageLimit } from '../lib.js';

export function request(ctx) {
  ctx.stash.refQuery = { limit: pageLimit(ctx.args.limit), nextToken: ctx.args.nextToken };
  return {};
}

export function response(ctx) {
  return { items: ctx.prev.result, nextToken: ctx.stash.refsNextToken ?? null };
}
