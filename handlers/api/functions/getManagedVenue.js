// The venue named by the venueId argument, if the caller owns it or is an admin.
import { canManage, forbidden, found, getItem, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(ctx.args.venueId));
}

export function response(ctx) {
  const venue = found(ctx, `venue ${ctx.args.venueId}`);
  if (!canManage(ctx, venue)) {
    forbidden(`only the owner of venue ${ctx.args.venueId} or an admin may do this`);
  }
  ctx.stash.venue = venue;
  return venue;
}
