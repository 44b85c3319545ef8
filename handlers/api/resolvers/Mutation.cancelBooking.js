// Pipeline [getBooking, cancelConfirmedBooking]: the booker cancels; the slot reopens.
import { checkId } from '../lib.js';

export function request(ctx) {
  checkId(ctx.args.bookingId, 'bookingId');
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
