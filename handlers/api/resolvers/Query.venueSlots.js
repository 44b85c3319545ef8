// Pipeline [getVenue, queryVenueSlots]: a known venue's slots in the window, the first page.
import { checkId, LIMITS, slotWindow } from '../lib.js';

export function request(ctx) {
  const { fromMs, toMs } = slotWindow(ctx.args);
  ctx.stash.slotQuery = {
    venueId: checkId(ctx.args.venueId, 'venueId'),
    fromMs,
    toMs,
    limit: LIMITS.list,
    nextToken: null,
  };
  return {};
}

export function response(ctx) {
  return ctx.prev.result.items;
}
