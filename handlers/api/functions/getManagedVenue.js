// The venue named by the venueId argument, if the caller owns it or is an admin.
import { canManage, forbidden, getItem, notFound, passDataError, venueKey } from '../lib.js';

export function request(ctx) {
  return getItem(venueKey(ctx.args.venueId));
}

export function response(ctx) {
  passDataError(ctx);
  if (!ctx.result) {
    notFound(`no venue ${ctx.args.venueId}`);
  }
  if (!canManage(ctx, ctx.result)) {
    forbidden(`only the owner of venue ${ctx.args.venueId} or an admin may do this`);
  }
  ctx.stash.venue = ctx.result;
  return ctx.result;
}
