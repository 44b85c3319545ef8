// The bookings the references point to, in the references' order.
import { runtime } from '@aws-appsync/utils';
import { bookingKey, passDataError } from '../lib.js';

export function request(ctx) {
  const refs = ctx.prev.result;
  if (!refs.length) {
    runtime.earlyReturn([]);
  }
  return {
    operation: 'BatchGetItem',
    tables: {
      [SLATE.table.name]: { keys: refs.map((ref) => bookingKey(ref.bookingId)), consistentRead: true },
    },
  };
}

export function response(ctx) {
  passDataError(ctx);
  // A reference always belongs to its booking's booker; the check keeps it so.
  return ctx.result.data[SLATE.table.name].filter(
    (booking) => booking && booking.userSub === ctx.identity.sub,
  );
}
