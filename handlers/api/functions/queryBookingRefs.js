// The caller's booking references, newest first, as ctx.stash.refQuery asks.
import { passDataError, userBookingsQuery } from '../lib.js';

export function request(ctx) {
  const { limit, nextToken } = ctx.stash.refQuery;
  return userBookingsQuery(ctx.identity.sub, limit, nextToken);
}

export function response(ctx) {
  passDataError(ctx);
  ctx.stash.refsNextToken = ctx.result.nextToken;
  return ctx.result.items;
}
