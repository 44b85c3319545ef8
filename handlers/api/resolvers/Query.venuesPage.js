// Venues by name, a page at a time.
import { page, pageLimit, passDataError, venuesQuery } from '../lib.js';

export function request(ctx) {
  return venuesQuery(pageLimit(ctx.args.limit), ctx.args.nextToken);
}

export function response(ctx) {
  passDataError(ctx);
  return page(ctx.result);
}
