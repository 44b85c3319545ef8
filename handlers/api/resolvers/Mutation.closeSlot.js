// Pipeline [getManagedVenue, getSlot, closeOpenSlot]: withdraws an open slot.
import { checkId, checkSlotId } from '../lib.js';

export function request(ctx) {
  checkId(ctx.args.venueId, 'venueId');
  checkSlotId(ctx.args.slotId);
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
