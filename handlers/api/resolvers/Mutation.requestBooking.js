// Requests a booking through the queue: StartSyncExecution of the BookingQueue's request
// workflow, signed by AppSync (HTTP data source, no Lambda). The workflow derives the booking's
// id as the saga does (APPSYNC_JS has no hash function), records the request PENDING and sends
// it to the queue; a worker then books it with the saga. The user comes from the verified
// token, the time from AppSync's clock, the correlation id (on every log line of the worker
// and the saga) from the caller's x-correlation-id header when valid, else a new one.
import { util } from '@aws-appsync/utils';
import {
  checkId,
  checkSlotId,
  ERRORS,
  startSyncExecution,
  syncExecutionBooking,
} from '../lib.js';

const REQUEST_ERRORS = [
  ERRORS.slotUnavailable,
  ERRORS.notFound,
  ERRORS.validation,
  ERRORS.requestPending,
];

function correlationId(ctx) {
  const given = ctx.request?.headers?.['x-correlation-id'];
  return util.isString(given) && util.matches(SLATE.idPatterns.id, given) ? given : util.autoId();
}

export function request(ctx) {
  if (util.isNull(SLATE.requestStateMachineArn)) {
    util.error('requestBooking needs a BookingQueue; this API was built without one', 'NotConfigured');
  }
  const { venueId, slotId, failPayment, clientToken } = ctx.args;
  const input = {
    userSub: ctx.identity.sub,
    venueId: checkId(venueId, 'venueId'),
    slotId: checkSlotId(slotId),
    clientToken: checkId(clientToken, 'clientToken'),
    failPayment: failPayment ?? false,
    correlationId: correlationId(ctx),
    now: util.time.nowISO8601(),
    nowEpoch: util.time.nowEpochSeconds(),
  };
  return startSyncExecution(SLATE.requestStateMachineArn, input, input.correlationId);
}

export function response(ctx) {
  return syncExecutionBooking(ctx, REQUEST_ERRORS, 'the booking request');
}
