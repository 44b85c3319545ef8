// Books a slot through the saga: StartSyncExecution on the booking state machine, signed by
// AppSync (HTTP data source, no Lambda in between); the saga's outcome becomes the booking or
// its error. The user comes from the verified token, the time from AppSync's clock.
import { util } from '@aws-appsync/utils';
import {
  checkId,
  checkSlotId,
  ERRORS,
  invalid,
  startSyncExecution,
  syncExecutionBooking,
} from '../lib.js';

const SAGA_ERRORS = [
  ERRORS.slotUnavailable,
  ERRORS.paymentDeclined,
  ERRORS.holdExpired,
  ERRORS.notFound,
  ERRORS.validation,
];

export function request(ctx) {
  const { venueId, slotId, failPayment, clientToken } = ctx.args;
  const input = {
    userSub: ctx.identity.sub,
    venueId: checkId(venueId, 'venueId'),
    slotId: checkSlotId(slotId),
    failPayment: failPayment ?? false,
    // With milliseconds, so a user's bookings sort by creation even within one second.
    now: util.time.nowISO8601(),
    nowEpoch: util.time.nowEpochSeconds(),
  };
  if (!util.isNull(clientToken)) {
    if (!util.matches(SLATE.idPatterns.id, clientToken)) {
      invalid('clientToken must be 1 to 64 letters, digits, - or _');
    }
    input.clientToken = clientToken;
  }
  return startSyncExecution(SLATE.stateMachineArn, input);
}

export function response(ctx) {
  return syncExecutionBooking(ctx, SAGA_ERRORS, 'the booking');
}
