// Closes the slot if (and only if, at the moment of writing) it is open.
import { util } from '@aws-appsync/utils';
import { ERRORS, passDataError, slotKey, STATUS } from '../lib.js';

export function request(ctx) {
  return {
    operation: 'UpdateItem',
    key: slotKey(ctx.args.venueId, ctx.args.slotId),
    update: {
      expression: 'SET #status = :closed',
      expressionNames: { '#status': 'status' },
      expressionValues: util.dynamodb.toMapValues({ ':closed': STATUS.slot.CLOSED }),
    },
    condition: {
      expression: '#status = :open',
      expressionNames: { '#status': 'status' },
      expressionValues: util.dynamodb.toMapValues({ ':open': STATUS.slot.OPEN }),
    },
  };
}

export function response(ctx) {
  if (ctx.error?.type === 'DynamoDB:ConditionalCheckFailedException') {
    util.error(`only an open slot can be closed; ${ctx.args.slotId} is not open`, ERRORS.slotUnavailable);
  }
  passDataError(ctx);
  return ctx.result;
}
