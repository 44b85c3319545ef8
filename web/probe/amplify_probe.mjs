// aws-amplify v6, unmodified, configured exactly as the web app configures it (its config.json
// through src/appConfig.js), in Node: SRP sign-in, a query, a subscription over wss:// (derived
// by Amplify from the HTTPS endpoint), a mutation, and AppSync's error types.
// Usage: node --experimental-websocket amplify_probe.mjs <config.json> (`make web-config`)
// (NODE_EXTRA_CA_CERTS=<caFile> trusts the local certificate authority.) Prints one JSON line.
import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { signIn } from 'aws-amplify/auth';
import { generateClient, CONNECTION_STATE_CHANGE, ConnectionState } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';
import { amplifyConfig, parseAppConfig } from '../src/appConfig.js';

const config = parseAppConfig(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const alice = config.demoLogins.find((u) => u.username === 'alice@example.com');
Amplify.configure(amplifyConfig(config));

const result = {};
const signedIn = await signIn({ username: alice.username, password: alice.password });
result.signedIn = signedIn.isSignedIn;
const client = generateClient();
const venues = await client.graphql({ query: '{ venues { venueId name } }' });
const venueId = venues.data.venues[0].venueId;
const slots = await client.graphql({
  query: 'query($v: ID!) { venueSlots(venueId: $v) { slotId status } }',
  variables: { v: venueId },
});
const slot = slots.data.venueSlots.find((s) => s.status === 'OPEN');
result.seen = [];
const connected = new Promise((resolve) => {
  const stop = Hub.listen('api', ({ payload }) => {
    if (payload.event === CONNECTION_STATE_CHANGE && payload.data.connectionState === ConnectionState.Connected) {
      stop();
      resolve();
    }
  });
});
const done = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${result.seen} arrived`)), 20000);
  const subscription = client
    .graphql({
      query: 'subscription($v: ID!) { onSlotUpdate(venueId: $v) { slotId status } }',
      variables: { v: venueId },
    })
    .subscribe({
      next: ({ data }) => {
        if (data.onSlotUpdate.slotId !== slot.slotId) return;
        result.seen.push(data.onSlotUpdate.status);
        if (data.onSlotUpdate.status === 'BOOKED') {
          clearTimeout(timer);
          subscription.unsubscribe();
          resolve();
        }
      },
      error: (error) => reject(error),
    });
});
await connected; // the subscription is acknowledged: what follows reaches it
const book = 'mutation($v: ID!, $s: ID!) { bookSlot(venueId: $v, slotId: $s) { status } }';
const booked = await client.graphql({ query: book, variables: { v: venueId, s: slot.slotId } });
result.booked = booked.data.bookSlot.status;
await done;
try {
  await client.graphql({ query: book, variables: { v: venueId, s: slot.slotId } });
  result.again = 'no error';
} catch (failure) {
  result.again = failure.errors?.[0]?.errorType;
}
console.log(JSON.stringify(result));
process.exit(0);
