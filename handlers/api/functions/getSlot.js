// The slot named by the venueId and slotId arguments, or NotFound.
import { getItem, notFound, passDataError, slotKey } from '../lib.js';

export function request(ctx) {
  return getItem(slotKey(ctx.args.venueId, ctx.args.slotId));
}

export function response(ctx) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`venue ${ctx.args.venueId} has no slot ${ctx.args.slotId}`);
  }
  return ctx.result;
}
