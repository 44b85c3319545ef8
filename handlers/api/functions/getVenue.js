// The venue named by the venueId argument, or NotFound.
import { found, getItem, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(ctx.args.venueId));
}

export function response(ctx) {
  ctx.stash.venue = found(ctx, `venue ${ctx.args.venueId}`);
  return ctx.stash.venue;
}
