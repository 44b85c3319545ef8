// Slate's GraphQL contract as the app uses it (handlers/api/schema.graphql), through Amplify.
import { generateClient } from 'aws-amplify/api';

export type SlotStatus = 'OPEN' | 'HELD' | 'BOOKED' | 'CLOSED';
export type BookingStatus = 'PENDING' | 'CONFIRMED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export interface Venue {
  venueId: string;
  name: string;
  ownerSub: string;
}

export interface Slot {
  venueId: string;
  slotId: string;
  startsAt: string;
  endsAt: string;
  price: number;
  status: SlotStatus;
}

export interface Booking {
  bookingId: string;
  venueId: string;
  slotId: string;
  status: BookingStatus;
  startsAt: string;
  price: number;
  failureReason?: string | null;
  refundId?: string | null;
}

export interface NewSlot {
  startsAt: string;
  endsAt: string;
  price: number;
}

const SLOT_FIELDS = 'venueId slotId startsAt endsAt price status';
const BOOKING_FIELDS = 'bookingId venueId slotId status startsAt price failureReason refundId';

// Amplify's client typed by what the app uses: untyped documents, as strings (its generated,
// model-typed form needs Amplify's codegen, which a hand-written schema does not have).
interface Operation {
  query: string;
  variables: Record<string, unknown>;
}
interface Live<T> {
  subscribe(observer: { next: (event: { data: T }) => void; error: (error: unknown) => void }): {
    unsubscribe(): void;
  };
}
interface GraphQLClient {
  graphql(operation: Operation): Promise<{ data: unknown }> | Live<unknown>;
}

let client: GraphQLClient | undefined;

function amplify(): GraphQLClient {
  client ??= generateClient() as unknown as GraphQLClient;
  return client;
}

async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await (amplify().graphql({ query, variables }) as Promise<{ data: T }>);
  return result.data;
}

export async function listVenues(): Promise<Venue[]> {
  const data = await call<{ venues: Venue[] }>('query { venues { venueId name ownerSub } }');
  return data.venues;
}

export async function getVenue(venueId: string): Promise<Venue> {
  const data = await call<{ venue: Venue }>(
    'query($venueId: ID!) { venue(venueId: $venueId) { venueId name ownerSub } }',
    { venueId },
  );
  return data.venue;
}

export async function venueSlots(venueId: string): Promise<Slot[]> {
  const data = await call<{ venueSlots: Slot[] }>(
    `query($venueId: ID!) { venueSlots(venueId: $venueId) { ${SLOT_FIELDS} } }`,
    { venueId },
  );
  return data.venueSlots;
}

export async function bookSlot(venueId: string, slotId: string, failPayment: boolean) {
  const data = await call<{ bookSlot: Booking }>(
    `mutation($venueId: ID!, $slotId: ID!, $failPayment: Boolean) {
      bookSlot(venueId: $venueId, slotId: $slotId, failPayment: $failPayment) { ${BOOKING_FIELDS} }
    }`,
    { venueId, slotId, failPayment },
  );
  return data.bookSlot;
}

export async function myBookings(): Promise<Booking[]> {
  const data = await call<{ myBookings: Booking[] }>(`query { myBookings { ${BOOKING_FIELDS} } }`);
  return data.myBookings;
}

export async function cancelBooking(bookingId: string): Promise<Booking> {
  const data = await call<{ cancelBooking: Booking }>(
    `mutation($bookingId: ID!) { cancelBooking(bookingId: $bookingId) { ${BOOKING_FIELDS} } }`,
    { bookingId },
  );
  return data.cancelBooking;
}

export async function createVenue(name: string): Promise<Venue> {
  const data = await call<{ createVenue: Venue }>(
    'mutation($name: String!) { createVenue(name: $name) { venueId name ownerSub } }',
    { name },
  );
  return data.createVenue;
}

export async function publishSlots(venueId: string, slots: NewSlot[]): Promise<Slot[]> {
  const data = await call<{ publishSlots: Slot[] }>(
    `mutation($venueId: ID!, $slots: [NewSlotInput!]!) {
      publishSlots(venueId: $venueId, slots: $slots) { ${SLOT_FIELDS} }
    }`,
    { venueId, slots },
  );
  return data.publishSlots;
}

/** Every change to a venue's slots, as it commits; returns the unsubscribe. */
export function watchSlots(
  venueId: string,
  onSlot: (slot: Slot) => void,
  onError: (error: unknown) => void,
): () => void {
  const live = amplify().graphql({
    query: `subscription($venueId: ID!) { onSlotUpdate(venueId: $venueId) { ${SLOT_FIELDS} } }`,
    variables: { venueId },
  }) as Live<{ onSlotUpdate: Slot | null }>;
  const subscription = live.subscribe({
    next: ({ data }) => {
      if (data.onSlotUpdate) onSlot(data.onSlotUpdate);
    },
    error: onError,
  });
  return () => subscription.unsubscribe();
}
