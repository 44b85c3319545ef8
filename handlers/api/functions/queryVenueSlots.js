// The venue's slots in the window the resolver put in ctx.stash.slotQuery.
import { page, passPageError, slotRangeQuery } from '../lib.js';

export function request(ctx) {
  const { venueId, fromMs, toMs, limit, nextToken } = ctx.stash.slotQuery;
  return slotRangeQuery(venueId, fromMs, toMs, limit, nextToken);
}

export function response(ctx) {
  passPageError(ctx, ctx.stash.slotQuery.nextToken);
  return page(ctx.result);
}
