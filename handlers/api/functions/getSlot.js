// The slot named by the venueId and slotId arguments, or NotFound.
import { found, getItem, slotKey } from '../lib.js';

export function request(ctx) {
  return getItem(slotKey(ctx.args.venueId, ctx.args.slotId));
}

export function response(ctx) {
  return found(ctx, `slot ${ctx.args.slotId} at venue ${ctx.args.venueId}`);
}
