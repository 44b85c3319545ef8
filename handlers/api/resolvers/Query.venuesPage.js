// Venues by name, a page at a time.
import { page, pageLimit, passPageError, venuesQuery } from '../lib.js';

export function request(ctx) {
  return venuesQuery(pageLimit(ctx.args.limit), ctx.args.nextToken);
}

export function response(ctx) {
  passPageError(ctx, ctx.args.nextToken);
  return page(ctx.result);
}
