// The venue's slots in the window the resolver put in ctx.stash.slotQuery.
import { page, passDataError, slotRangeQuery } from '../lib.js';

export function request(ctx) {
  const { venueId, fromMs, toMs, limit, nextToken } = ctx.stash.slotQuery;
  return slotRangeQuery(venueId, fromMs, toMs, limit, nextToken);
}

export function response(ctx) {
  passDataError(ctx);
  return page(ctx.result);
}
