// NONE data source: when a user subscribes, an enhanced filter on their verified identity, so
// each receives their own bookings' updates only, whatever they send.
import { extensions, util } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

export function response(ctx) {
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter({ userSub: { eq: ctx.identity.sub } }),
  );
  return null;
}
