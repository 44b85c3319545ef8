// Pipeline [getVenue, queryVenueSlots]: a known venue's slots in the window, a page at a time.
import { checkId, page, pageLimit, slotWindow } from '../lib.js';

export function request(ctx) {
  const { fromMs, toMs } = slotWindow(ctx.args);
  ctx.stash.slotQuery = {
    venueId: checkId(ctx.args.venueId, 'venueId'),
    fromMs,
    toMs,
    limit: pageLimit(ctx.args.limit),
    nextToken: ctx.args.nextToken,
  };
  return {};
}

export function response(ctx) {
  return page(ctx.prev.result);
}
