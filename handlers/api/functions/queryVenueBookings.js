// The venue's bookings, newest first, a page at a time.
import { page, passPageError, venueBookingsQuery } from '../lib.js';

export function request(ctx) {
  return venueBookingsQuery(ctx.args.venueId, ctx.stash.limit, ctx.args.nextToken);
}

export function response(ctx) {
  passPageError(ctx, ctx.args.nextToken);
  return page(ctx.result);
}
