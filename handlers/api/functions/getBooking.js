// The booking named by the bookingId argument, or NotFound.
import { bookingKey, found, getItem } from '../lib.js';

export function request(ctx) {
  return getItem(bookingKey(ctx.args.bookingId));
}

export function response(ctx) {
  ctx.stash.booking = found(ctx, `booking ${ctx.args.bookingId}`);
  return ctx.stash.booking;
}
