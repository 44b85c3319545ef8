import { checkId, getItem, notFound, passDataError, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(checkId(ctx.args.venueId, 'venueId')));
}

export function response(ctx) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`no venue ${ctx.args.venueId}`);
  }
  return ctx.result;
}
