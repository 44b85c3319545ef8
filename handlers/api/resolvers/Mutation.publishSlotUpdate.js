// NONE data source: the slot as given is the result, which AppSync sends to the onSlotUpdate
// subscriptions of its venue. Reachable only with IAM (the fanout).
export function request(ctx) {
  return { payload: ctx.args.slot };
}

export function response(ctx) {
  return ctx.result;
}
