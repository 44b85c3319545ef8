// Pipeline [getManagedVenue, queryVenueBookings]: a venue's bookings for its owner or an admin.
import { checkId, pageLimit } from '../lib.js';

export function request(ctx) {
  checkId(ctx.args.venueId, 'venueId');
  ctx.stash.limit = pageLimit(ctx.args.limit);
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
