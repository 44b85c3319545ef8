// Pipeline [getBooking, authorizeBookingReader]: one booking, for its booker, the venue's owner
// or an admin.
import { checkId } from '../lib.js';

export function request(ctx) {
  checkId(ctx.args.bookingId, 'bookingId');
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
