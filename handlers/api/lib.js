// Shared by every Slate resolver and function; bundled into each by the BookingApi component,
// after a `const SLATE = {...}` prelude holding the shared model (key attributes and prefixes,
// statuses, error types, groups, id patterns), the table name, the state machine ARN and the
// API's limits.
import { util } from '@aws-appsync/utils';

const ATTRIBUTES = SLATE.table;
const PREFIX = SLATE.keyPrefixes;
export const STATUS = SLATE.status;
export const ERRORS = SLATE.errors;
export const LIMITS = SLATE.limits;

const SHOWN_CHARACTERS = 64;

// An input as an error message shows it: cut short, so a message never echoes a whole input.
function shown(value) {
  const text = String(value);
  if (text.length <= SHOWN_CHARACTERS) {
    return text;
  }
  return `${text.slice(0, SHOWN_CHARACTERS)}… (${text.length} characters)`;
}

export function invalid(message) {
  util.error(message, ERRORS.validation);
}

function notFound(message) {
  util.error(message, ERRORS.notFound);
}

export function forbidden(message) {
  util.error(message, ERRORS.unauthorized);
}

// A data source error the response handler did not expect, passed on as AppSync reports it.
export function passDataError(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
}

// A page query's data source error: a nextToken the query could not read is the caller's
// mistake (a token from another list, or altered), reported as such.
export function passPageError(ctx, nextToken) {
  if (ctx.error && !util.isNull(nextToken) && ctx.error.type.endsWith('ValidationException')) {
    invalid('nextToken is not one this list returned');
  }
  passDataError(ctx);
}

// The item a GetItem found, or NotFound with `what` in the message.
export function found(ctx, what) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`no ${what}`);
  }
  return ctx.result;
}

export function checkId(value, field) {
  if (!util.isString(value) || !util.matches(SLATE.idPatterns.id, value)) {
    invalid(`${field} is not a valid id: ${shown(value)}`);
  }
  return value;
}

export function checkSlotId(value) {
  if (!util.isString(value) || !util.matches(SLATE.idPatterns.slotId, value)) {
    invalid(`slotId is not a valid slot id: ${shown(value)}`);
  }
  return value;
}

export function pageLimit(limit) {
  if (util.isNull(limit)) {
    return LIMITS.defaultPage;
  }
  if (limit < 1 || limit > LIMITS.page) {
    invalid(`limit must be between 1 and ${LIMITS.page}: ${limit}`);
  }
  return limit;
}

export function epochMs(value, field) {
  const ms = util.time.parseISO8601ToEpochMilliSeconds(value);
  if (util.isNull(ms)) {
    invalid(`${field} is not an ISO 8601 time with a zone: ${shown(value)}`);
  }
  return ms;
}

// As the table stores times: 2026-12-01T19:00:00Z.
export function instant(ms) {
  return util.time.epochMilliSecondsToFormatted(ms, "yyyy-MM-dd'T'HH:mm:ss'Z'", 'UTC');
}

// The start time at the head of a slot id: 20261201T190000Z.
export function compactInstant(ms) {
  return util.time.epochMilliSecondsToFormatted(ms, "yyyyMMdd'T'HHmmss'Z'", 'UTC');
}

export function nowInstant() {
  return instant(util.time.nowEpochMilliSeconds());
}

function key(partition, sort) {
  return util.dynamodb.toMapValues({ [ATTRIBUTES.pk]: partition, [ATTRIBUTES.sk]: sort });
}

export function venueKey(venueId) {
  return key(PREFIX.venue + venueId, SLATE.meta);
}

export function slotSortKey(slotId) {
  return PREFIX.slot + slotId;
}

export function slotKey(venueId, slotId) {
  return key(PREFIX.venue + venueId, slotSortKey(slotId));
}

export function bookingKey(bookingId) {
  return key(PREFIX.booking + bookingId, SLATE.meta);
}

export function getItem(itemKey) {
  return { operation: 'GetItem', key: itemKey, consistentRead: true };
}

export function isAdmin(ctx) {
  return (ctx.identity?.groups ?? []).includes(SLATE.groups.admins);
}

export function canManage(ctx, venue) {
  return isAdmin(ctx) || venue.ownerSub === ctx.identity.sub;
}

export function page(result) {
  return { items: result.items, nextToken: result.nextToken ?? null };
}

// The venue's slots starting in [from, to) (either end open), as a key range: a slot id begins
// with its start time.
export function slotRangeQuery(venueId, fromMs, toMs, limit, nextToken) {
  const low = util.isNull(fromMs) ? PREFIX.slot : slotSortKey(compactInstant(fromMs));
  const high = util.isNull(toMs) ? `${PREFIX.slot}~` : slotSortKey(compactInstant(toMs));
  return {
    operation: 'Query',
    query: {
      expression: '#pk = :pk AND #sk BETWEEN :low AND :high',
      expressionNames: { '#pk': ATTRIBUTES.pk, '#sk': ATTRIBUTES.sk },
      expressionValues: util.dynamodb.toMapValues({
        ':pk': PREFIX.venue + venueId,
        ':low': low,
        ':high': high,
      }),
    },
    consistentRead: true,
    limit,
    nextToken: nextToken ?? null,
  };
}

export function venuesQuery(limit, nextToken) {
  return {
    operation: 'Query',
    index: ATTRIBUTES.index.name,
    query: {
      expression: '#pk = :pk',
      expressionNames: { '#pk': ATTRIBUTES.index.pk },
      expressionValues: util.dynamodb.toMapValues({ ':pk': SLATE.venuesPartition }),
    },
    limit,
    nextToken: nextToken ?? null,
  };
}

// For getVenue → queryVenueSlots: the venue's slots in the from/to window of the arguments.
export function stashSlotQuery(ctx, limit, nextToken) {
  const args = ctx.args;
  const fromMs = util.isNull(args.from) ? null : epochMs(args.from, 'from');
  const toMs = util.isNull(args.to) ? null : epochMs(args.to, 'to');
  if (!util.isNull(fromMs) && !util.isNull(toMs) && fromMs >= toMs) {
    invalid('from must be before to');
  }
  ctx.stash.slotQuery = {
    venueId: checkId(args.venueId, 'venueId'),
    fromMs,
    toMs,
    limit,
    nextToken: nextToken ?? null,
  };
}

export function bookingPartitionQuery(partition, sortPrefix, index, limit, nextToken) {
  const names = index ? ATTRIBUTES.index : ATTRIBUTES;
  return {
    operation: 'Query',
    index: index ? names.name : null,
    query: {
      expression: '#pk = :pk AND begins_with(#sk, :prefix)',
      expressionNames: { '#pk': names.pk, '#sk': names.sk },
      expressionValues: util.dynamodb.toMapValues({ ':pk': partition, ':prefix': sortPrefix }),
    },
    scanIndexForward: false,
    limit,
    nextToken: nextToken ?? null,
  };
}

export function userBookingsQuery(sub, limit, nextToken) {
  return bookingPartitionQuery(PREFIX.user + sub, PREFIX.booking, false, limit, nextToken);
}

export function venueBookingsQuery(venueId, limit, nextToken) {
  return bookingPartitionQuery(PREFIX.venue + venueId, PREFIX.booking, true, limit, nextToken);
}

// An HTTP data source request (signed for Step Functions) that runs a workflow synchronously.
export function startSyncExecution(stateMachineArn, input, name) {
  const request = { stateMachineArn, input: JSON.stringify(input) };
  if (!util.isNull(name)) {
    request.name = name;
  }
  return {
    method: 'POST',
    resourcePath: '/',
    params: {
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.StartSyncExecution',
      },
      body: JSON.stringify(request),
    },
  };
}

// The booking a synchronous workflow answered with, or its error: one of `knownErrors` as the
// workflow named it, anything else as an internal failure of `what`.
export function syncExecutionBooking(ctx, knownErrors, what) {
  passDataError(ctx);
  const body = JSON.parse(ctx.result.body);
  if (ctx.result.statusCode !== 200) {
    util.error(body.message ?? `${what} could not be started`, body.__type);
  }
  if (body.status === 'SUCCEEDED') {
    return { ...JSON.parse(body.output), userSub: ctx.identity.sub };
  }
  if (knownErrors.includes(body.error)) {
    util.error(body.cause, body.error);
  }
  util.error(`${what} did not complete (${body.error ?? body.status})`, 'InternalFailure');
}
