// Pipeline [getVenue, queryVenueSlots]: a known venue's slots in the window, the first page.
import { LIMITS, stashSlotQuery } from '../lib.js';

export function request(ctx) {
  stashSlotQuery(ctx, LIMITS.list, null);
  return {};
}

export function response(ctx) {
  return ctx.prev.result.items;
}
