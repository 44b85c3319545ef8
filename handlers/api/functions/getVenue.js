// The venue named by the venueId argument, or NotFound.
import { getItem, notFound, passDataError, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(ctx.args.venueId));
}

export function response(ctx) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`no venue ${ctx.args.venueId}`);
  }
  ctx.stash.venue = ctx.result;
  return ctx.result;
}
