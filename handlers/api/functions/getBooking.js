// The booking named by the bookingId argument, or NotFound.
import { bookingKey, getItem, notFound, passDataError } from '../lib.js';

export function request(ctx) {
  return getItem(bookingKey(ctx.args.bookingId));
}

export function response(ctx) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`no booking ${ctx.args.bookingId}`);
  }
  ctx.stash.booking = ctx.result;
  return ctx.result;
}
