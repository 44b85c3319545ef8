// What each of Slate's errorTypes means to the person using the app (docs/api.md lists them).

const MESSAGES: Record<string, string> = {
  SlotUnavailable: 'Someone just took this slot. Pick another one.',
  PaymentDeclined: 'Your payment was declined, so nothing was booked or charged. The slot is free again.',
  HoldExpired: 'Your hold on this slot ran out before the payment finished. Please try again.',
  NotFound: 'That no longer exists. It may have been removed a moment ago.',
  Unauthorized: 'Your account is not allowed to do that.',
  UnauthorizedException: 'Your session has ended. Please sign in again.',
  ValidationError: 'That request was not valid',
  RequestPending: 'Your earlier request is still being processed. Try again in a few minutes.',
  RefundFailed: 'We could not refund your payment, so the booking is still yours. Please try again later.',
  BookingQueueUnavailable: 'We could not take your request just now. Nothing was booked; please try again.',
  NotConfigured: 'This stack does not offer that.',
  NetworkError: 'The service cannot be reached. Check your connection and try again.',
};

interface GraphQLFailure {
  errorType?: string;
  message?: string;
  originalError?: { name?: string; message?: string };
}

/** The errorType of whatever Amplify threw: AppSync's, the HTTP error's name, or the JS error's. */
export function errorTypeOf(thrown: unknown): string {
  const failure = (thrown as { errors?: GraphQLFailure[] })?.errors?.[0];
  const name = failure?.errorType ?? failure?.originalError?.name ?? (thrown as Error)?.name;
  return name && name !== 'Error' ? name : 'Unknown';
}

/** A plain-language sentence for a failed call. */
export function describeError(thrown: unknown): string {
  const errorType = errorTypeOf(thrown);
  const failure = (thrown as { errors?: GraphQLFailure[] })?.errors?.[0];
  if (errorType === 'ValidationError' && failure?.message) {
    return `${MESSAGES.ValidationError}: ${failure.message}`;
  }
  if (errorType in MESSAGES) return MESSAGES[errorType];
  if (errorType === 'NotAuthorizedException') return 'Wrong email or password.';
  if (errorType === 'UserNotFoundException') return 'No account has that email.';
  const detail = failure?.message ?? (thrown as Error)?.message;
  return `Something went wrong (${errorType}${detail ? `: ${detail}` : ''}).`;
}
