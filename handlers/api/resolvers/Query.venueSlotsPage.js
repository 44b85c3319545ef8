// Pipeline [getVenue, queryVenueSlots]: a known venue's slots in the window, a page at a time.
import { page, pageLimit, stashSlotQuery } from '../lib.js';

export function request(ctx) {
  stashSlotQuery(ctx, pageLimit(ctx.args.limit), ctx.args.nextToken);
  return {};
}

export function response(ctx) {
  return page(ctx.prev.result);
}
