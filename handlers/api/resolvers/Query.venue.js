import { checkId, found, getItem, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(checkId(ctx.args.venueId, 'venueId')));
}

export function response(ctx) {
  return found(ctx, `venue ${ctx.args.venueId}`);
}
