// Books a slot through the saga: StartSyncExecution on the booking state machine, signed by
// AppSync (HTTP data source, no Lambda in between); the saga's outcome becomes the booking or
// its error. The user comes from the verified token, the time from AppSync's clock.
import { util } from '@aws-appsync/utils';
import { checkId, checkSlotId, ERRORS, invalid } from '../lib.js';

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
  return {
    method: 'POST',
    resourcePath: '/',
    params: {
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.StartSyncExecution',
      },
      body: JSON.stringify({ stateMachineArn: SLATE.stateMachineArn, input: JSON.stringify(input) }),
    },
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const body = JSON.parse(ctx.result.body);
  if (ctx.result.statusCode !== 200) {
    util.error(body.message ?? 'the booking workflow could not be started', body.__type);
  }
  if (body.status === 'SUCCEEDED') {
    return { ...JSON.parse(body.output), userSub: ctx.identity.sub };
  }
  if (SAGA_ERRORS.includes(body.error)) {
    util.error(body.cause, body.error);
  }
  util.error(`the booking did not complete (${body.status})`, 'InternalFailure');
}
