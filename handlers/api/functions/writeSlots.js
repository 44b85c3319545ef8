// Writes the checked new slots in one transaction, after checking them against the venue's
// slots read by queryVenueSlots. The transaction also moves the venue's slotsVersion on from the
// value getManagedVenue read, so a concurrent publish that could overlap makes one of the two
// fail instead of both writing.
import { util } from '@aws-appsync/utils';
import {
  compactInstant,
  epochMs,
  ERRORS,
  instant,
  invalid,
  passDataError,
  slotKey,
  STATUS,
  venueKey,
} from '../lib.js';

function slotId(startMs) {
  return `${compactInstant(startMs)}-${util.autoId().split('-').join('').slice(0, 8)}`;
}

function versionUpdate(venue) {
  const seen = venue.slotsVersion;
  return {
    table: SLATE.table.name,
    operation: 'UpdateItem',
    key: venueKey(venue.venueId),
    update: {
      expression: 'SET slotsVersion = :next',
      expressionValues: util.dynamodb.toMapValues({ ':next': (seen ?? 0) + 1 }),
    },
    condition: util.isNull(seen)
      ? { expression: 'attribute_not_exists(slotsVersion)' }
      : {
          expression: 'slotsVersion = :seen',
          expressionValues: util.dynamodb.toMapValues({ ':seen': seen }),
        },
  };
}

export function request(ctx) {
  const existing = ctx.prev.result;
  if (existing.nextToken) {
    invalid('too many slots around these times to check for overlaps; publish fewer at once');
  }
  const venue = ctx.stash.venue;
  const live = existing.items.filter((slot) => slot.status !== STATUS.slot.CLOSED);
  const created = [];
  for (const wanted of ctx.stash.newSlots) {
    for (const slot of live) {
      if (epochMs(slot.startsAt, 'startsAt') < wanted.endMs && wanted.startMs < epochMs(slot.endsAt, 'endsAt')) {
        invalid(`slots[${wanted.position}] overlaps slot ${slot.slotId}`);
      }
    }
    created.push({
      entity: 'Slot',
      venueId: venue.venueId,
      slotId: slotId(wanted.startMs),
      startsAt: instant(wanted.startMs),
      endsAt: instant(wanted.endMs),
      price: wanted.price,
      status: STATUS.slot.OPEN,
    });
  }
  ctx.stash.created = created;
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      ...created.map((slot) => ({
        table: SLATE.table.name,
        operation: 'PutItem',
        key: slotKey(slot.venueId, slot.slotId),
        attributeValues: util.dynamodb.toMapValues(slot),
        condition: {
          expression: 'attribute_not_exists(#pk)',
          expressionNames: { '#pk': SLATE.table.pk },
        },
      })),
      versionUpdate(venue),
    ],
  };
}

export function response(ctx) {
  const reasons = ctx.result?.cancellationReasons ?? [];
  // The venue's version check is the transaction's last item.
  if (reasons[reasons.length - 1]?.type === 'ConditionalCheckFailed') {
    util.error(
      "the venue's slots changed while these were published; read them and try again",
      ERRORS.slotUnavailable,
    );
  }
  passDataError(ctx);
  return ctx.stash.created;
}
