// The caller's booking references, newest first, as ctx.stash.refQuery asks.
import { passPageError, userBookingsQuery } from '../lib.js';

export function request(ctx) {
  const { limit, nextToken } = ctx.stash.refQuery;
  return userBookingsQuery(ctx.identity.sub, limit, nextToken);
}

export function response(ctx) {
  passPageError(ctx, ctx.stash.refQuery.nextToken);
  ctx.stash.refsNextToken = ctx.result.nextToken;
  return ctx.result.items;
}
