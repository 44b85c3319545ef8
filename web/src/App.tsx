import { useCallback, useEffect, useState } from 'react';
import { signOut } from 'aws-amplify/auth';
import type { AppConfig } from './appConfig.js';
import { canManage, currentUser, type User } from './session';
import { useRoute } from './routes';
import { SignIn } from './screens/SignIn';
import { Venues } from './screens/Venues';
import { VenueSlots } from './screens/VenueSlots';
import { MyBookings } from './screens/MyBookings';
import { Manage } from './screens/Manage';

/** A visit without a session lands on sign-in; after it, on the page that was asked for. */
export function App({ config }: { config: AppConfig }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const route = useRoute();
  const refresh = useCallback(() => {
    currentUser().then(setUser, () => setUser(null));
  }, []);
  useEffect(refresh, [refresh]);

  if (user === undefined) return <main className="page">Loading…</main>;
  if (user === null) return <SignIn config={config} onSignedIn={refresh} />;
  return (
    <>
      <header className="bar">
        <strong>Slate</strong>
        <nav>
          <a href="#/venues">Venues</a>
          <a href="#/bookings">My bookings</a>
          {canManage(user) && <a href="#/manage">Manage venues</a>}
        </nav>
        <span className="who" data-testid="signed-in-as">
          {user.email}
        </span>
        <button type="button" onClick={() => void signOut().then(refresh)}>
          Sign out
        </button>
      </header>
      <main className="page">
        {route.page === 'venues' && <Venues />}
        {route.page === 'venue' && <VenueSlots venueId={route.venueId} />}
        {route.page === 'bookings' && <MyBookings />}
        {route.page === 'manage' &&
          (canManage(user) ? <Manage user={user} /> : <p>Only owners and admins manage venues.</p>)}
      </main>
    </>
  );
}
