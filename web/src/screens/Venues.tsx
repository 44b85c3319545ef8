import { useEffect, useState } from 'react';
import { listVenues, type Venue } from '../api';
import { describeError } from '../messages';
import { venueHref } from '../routes';

export function Venues() {
  const [venues, setVenues] = useState<Venue[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listVenues().then(setVenues, (thrown) => setError(describeError(thrown)));
  }, []);
  return (
    <>
      <h1>Venues</h1>
      {error && <p role="alert">{error}</p>}
      {venues === null && !error && <p>Loading…</p>}
      {venues?.length === 0 && <p>No venues yet.</p>}
      <ul className="venues">
        {venues?.map((venue) => (
          <li key={venue.venueId}>
            <a href={venueHref(venue.venueId)}>{venue.name}</a>
          </li>
        ))}
      </ul>
    </>
  );
}
