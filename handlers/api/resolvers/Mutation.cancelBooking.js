// Cancels a booking through the cancellation workflow: StartSyncExecution on the BookingSaga's
// cancel state machine, signed by AppSync (HTTP data source, no Lambda). The workflow refunds
// the payment, then marks the booking CANCELLED with its refund and reopens the slot; a refund
// that fails leaves the booking CONFIRMED (RefundFailed). The user comes from the verified
// token, the time from AppSync's clock.
import { util } from '@aws-appsync/utils';
import {
  checkId,
  ERRORS,
  nowInstant,
  startSyncExecution,
  syncExecutionBooking,
} from '../lib.js';

const CANCEL_ERRORS = [
  ERRORS.notFound,
  ERRORS.unauthorized,
  ERRORS.validation,
  ERRORS.requestPending,
  ERRORS.refundFailed,
];

export function request(ctx) {
  if (util.isNull(SLATE.cancelStateMachineArn)) {
    util.error('cancelBooking needs the BookingSaga\'s cancel workflow; this API was built without it', 'NotConfigured');
  }
  return startSyncExecution(SLATE.cancelStateMachineArn, {
    bookingId: checkId(ctx.args.bookingId, 'bookingId'),
    userSub: ctx.identity.sub,
    now: nowInstant(),
    nowEpoch: util.time.nowEpochSeconds(),
  });
}

export function response(ctx) {
  return syncExecutionBooking(ctx, CANCEL_ERRORS, 'the cancellation');
}
