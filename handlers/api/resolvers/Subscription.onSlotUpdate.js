// NONE data source: checks the venue id when a client subscribes.
import { checkId } from '../lib.js';

export function request(ctx) {
  checkId(ctx.args.venueId, 'venueId');
  return { payload: null };
}

export function response() {
  return null;
}
