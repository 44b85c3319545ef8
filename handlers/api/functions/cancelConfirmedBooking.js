// The booker's confirmed booking of a future slot becomes CANCELLED and its slot OPEN, in one
// transaction whose conditions re-check both at the moment of writing.
import { util } from '@aws-appsync/utils';
import {
  bookingKey,
  epochMs,
  ERRORS,
  forbidden,
  invalid,
  nowInstant,
  passDataError,
  slotKey,
  STATUS,
} from '../lib.js';

export function request(ctx) {
  const booking = ctx.stash.booking;
  if (booking.userSub !== ctx.identity.sub) {
    forbidden(`only its booker can cancel booking ${booking.bookingId}`);
  }
  if (booking.status !== STATUS.booking.CONFIRMED) {
    invalid(`a ${booking.status} booking cannot be cancelled`);
  }
  if (epochMs(booking.startsAt, 'startsAt') <= util.time.nowEpochMilliSeconds()) {
    invalid('the slot has already started');
  }
  const now = nowInstant();
  ctx.stash.cancelled = { ...booking, status: STATUS.booking.CANCELLED, updatedAt: now };
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      {
        table: SLATE.table.name,
        operation: 'UpdateItem',
        key: bookingKey(booking.bookingId),
        update: {
          expression: 'SET #status = :cancelled, updatedAt = :now',
          expressionNames: { '#status': 'status' },
          expressionValues: util.dynamodb.toMapValues({
            ':cancelled': STATUS.booking.CANCELLED,
            ':now': now,
          }),
        },
        condition: {
          expression: '#status = :confirmed AND userSub = :sub',
          expressionNames: { '#status': 'status' },
          expressionValues: util.dynamodb.toMapValues({
            ':confirmed': STATUS.booking.CONFIRMED,
            ':sub': ctx.identity.sub,
          }),
        },
      },
      {
        table: SLATE.table.name,
        operation: 'UpdateItem',
        key: slotKey(booking.venueId, booking.slotId),
        update: {
          expression: 'SET #status = :open REMOVE bookingId, holdExpiresAt',
          expressionNames: { '#status': 'status' },
          expressionValues: util.dynamodb.toMapValues({ ':open': STATUS.slot.OPEN }),
        },
        condition: {
          expression: '#status = :booked AND bookingId = :booking',
          expressionNames: { '#status': 'status' },
          expressionValues: util.dynamodb.toMapValues({
            ':booked': STATUS.slot.BOOKED,
            ':booking': booking.bookingId,
          }),
        },
      },
    ],
  };
}

export function response(ctx) {
  // A condition that no longer held: the booking or its slot changed since they were read.
  // Anything else (throttling, an internal error) is passed on as the data source reported it.
  const reasons = ctx.result?.cancellationReasons ?? [];
  if (reasons.some((reason) => reason?.type === 'ConditionalCheckFailed')) {
    util.error(
      `booking ${ctx.args.bookingId} changed while it was being cancelled; read it again`,
      ERRORS.validation,
    );
  }
  passDataError(ctx);
  return ctx.stash.cancelled;
}
