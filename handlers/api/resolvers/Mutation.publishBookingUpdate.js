// NONE data source: the booking as given is the result, which AppSync sends to its booker's
// onBookingUpdate subscriptions. Reachable only with IAM (the fanout).
export function request(ctx) {
  return { payload: ctx.args.booking };
}

export function response(ctx) {
  return ctx.result;
}
