// The venue's bookings, newest first, a page at a time.
import { page, passDataError, venueBookingsQuery } from '../lib.js';

export function request(ctx) {
  return venueBookingsQuery(ctx.args.venueId, ctx.stash.limit, ctx.args.nextToken);
}

export function response(ctx) {
  passDataError(ctx);
  return page(ctx.result);
}
