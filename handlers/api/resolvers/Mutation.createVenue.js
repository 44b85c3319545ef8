// A new venue, owned by the caller (the schema admits only the admins and owners groups).
import { util } from '@aws-appsync/utils';
import { invalid, LIMITS, nowInstant, passDataError, venueKey } from '../lib.js';

export function request(ctx) {
  const name = (ctx.args.name ?? '').trim();
  const characters = [...name].length; // code points, not UTF-16 units: an emoji is one
  if (!characters || characters > LIMITS.venueName) {
    invalid(`name must be 1 to ${LIMITS.venueName} characters`);
  }
  const venueId = util.autoId();
  const index = SLATE.table.index;
  return {
    operation: 'PutItem',
    key: venueKey(venueId),
    attributeValues: util.dynamodb.toMapValues({
      [index.pk]: SLATE.venuesPartition,
      [index.sk]: `${name.toLowerCase()}#${venueId}`,
      entity: 'Venue',
      venueId,
      name,
      ownerSub: ctx.identity.sub,
      createdAt: nowInstant(),
      slotsVersion: 0,
    }),
    condition: {
      expression: 'attribute_not_exists(#pk)',
      expressionNames: { '#pk': SLATE.table.pk },
    },
  };
}

export function response(ctx) {
  passDataError(ctx);
  return ctx.result;
}
