// Lets the booking through for its booker or an admin; otherwise reads its venue to see
// whether the caller owns it.
import { runtime } from '@aws-appsync/utils';
import { forbidden, getItem, isAdmin, passDataError, venueKey } from '../lib.js';

export function request(ctx) {
  const booking = ctx.stash.booking;
  if (booking.userSub === ctx.identity.sub || isAdmin(ctx)) {
    runtime.earlyReturn(booking);
  }
  return getItem(venueKey(booking.venueId));
}

export function response(ctx) {
  passDataError(ctx);
  if (ctx.result?.ownerSub !== ctx.identity.sub) {
    forbidden(`booking ${ctx.args.bookingId} is not yours`);
  }
  return ctx.stash.booking;
}
