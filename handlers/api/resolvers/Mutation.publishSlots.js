// Pipeline [getManagedVenue, queryVenueSlots, writeSlots]: new open slots, all or none.
// Checked here: the batch size, each slot's times and price, and overlaps within the batch;
// writeSlots checks overlaps with the venue's slots and writes them in one transaction.
import { util } from '@aws-appsync/utils';
import { checkId, epochMs, invalid, LIMITS } from '../lib.js';

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

function checked(slot, position, nowMs) {
  const where = `slots[${position}]`;
  const startMs = epochMs(slot.startsAt, `${where}.startsAt`);
  const endMs = epochMs(slot.endsAt, `${where}.endsAt`);
  if (startMs % MINUTE_MS !== 0 || endMs % MINUTE_MS !== 0) {
    invalid(`${where}: slots start and end on whole minutes`);
  }
  if (endMs <= startMs) {
    invalid(`${where}: endsAt must be after startsAt`);
  }
  if (endMs - startMs > LIMITS.slotHours * HOUR_MS) {
    invalid(`${where}: a slot lasts at most ${LIMITS.slotHours} hours`);
  }
  if (startMs <= nowMs) {
    invalid(`${where}: startsAt is in the past`);
  }
  if (startMs > nowMs + LIMITS.publishHorizonDays * DAY_MS) {
    invalid(`${where}: startsAt is more than ${LIMITS.publishHorizonDays} days ahead`);
  }
  if (slot.price < 0 || slot.price > LIMITS.price) {
    invalid(`${where}: price must be between 0 and ${LIMITS.price}`);
  }
  return { startMs, endMs, price: slot.price, position };
}

export function request(ctx) {
  const venueId = checkId(ctx.args.venueId, 'venueId');
  const slots = ctx.args.slots;
  if (!slots.length || slots.length > LIMITS.slotsPerPublish) {
    invalid(`publish 1 to ${LIMITS.slotsPerPublish} slots at once, not ${slots.length}`);
  }
  const nowMs = util.time.nowEpochMilliSeconds();
  const wanted = slots.map((slot, position) => checked(slot, position, nowMs));
  wanted.sort((a, b) => a.startMs - b.startMs);
  wanted.forEach((slot, index) => {
    const previous = index ? wanted[index - 1] : null;
    if (previous && slot.startMs < previous.endMs) {
      const same = slot.startMs === previous.startMs && slot.endMs === previous.endMs;
      invalid(
        `slots[${slot.position}] ${same ? 'duplicates' : 'overlaps'} slots[${previous.position}]`,
      );
    }
  });
  ctx.stash.newSlots = wanted;
  // Any existing slot that could overlap starts within a slot's longest length before the first.
  ctx.stash.slotQuery = {
    venueId,
    fromMs: wanted[0].startMs - LIMITS.slotHours * HOUR_MS,
    toMs: wanted[wanted.length - 1].endMs,
    limit: LIMITS.overlapScan,
    nextToken: null,
  };
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
