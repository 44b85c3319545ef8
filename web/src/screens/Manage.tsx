import { useEffect, useState, type FormEvent } from 'react';
import { createVenue, listVenues, publishSlots, type NewSlot, type Venue } from '../api';
import { describeError } from '../messages';
import { awsDateTime } from '../format';
import { venueHref } from '../routes';
import type { User } from '../session';

const MAX_SLOTS = 25; // publishSlots takes at most 25 at once

/** For owners and admins: create a venue, and publish hourly slots to one they manage. */
export function Manage({ user }: { user: User }) {
  const [venues, setVenues] = useState<Venue[]>([]);
  const [name, setName] = useState('');
  const [venueId, setVenueId] = useState('');
  const [day, setDay] = useState(() => awsDateTime(new Date(Date.now() + 86_400_000)).slice(0, 10));
  const [firstHour, setFirstHour] = useState(18);
  const [count, setCount] = useState(4);
  const [price, setPrice] = useState('45.00');
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const mine = venues.filter((venue) => user.groups.includes('admins') || venue.ownerSub === user.sub);
  useEffect(() => {
    listVenues().then(setVenues, (thrown) => setNotice({ kind: 'error', text: describeError(thrown) }));
  }, []);
  useEffect(() => {
    if (!venueId && mine.length > 0) setVenueId(mine[0].venueId);
  }, [mine, venueId]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    try {
      const venue = await createVenue(name.trim());
      setVenues((current) => [...current, venue]);
      setVenueId(venue.venueId);
      setName('');
      setNotice({ kind: 'success', text: `Created ${venue.name}.` });
    } catch (thrown) {
      setNotice({ kind: 'error', text: describeError(thrown) });
    }
  }

  async function publish(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const minor = Math.round(Number(price) * 100);
    if (!Number.isFinite(minor) || minor < 0) {
      setNotice({ kind: 'error', text: 'The price must be a number, such as 45.00.' });
      return;
    }
    const slots: NewSlot[] = Array.from({ length: count }, (_, i) => {
      const starts = new Date(`${day}T00:00:00`);
      starts.setHours(firstHour + i);
      const ends = new Date(starts.getTime() + 3_600_000);
      return { startsAt: awsDateTime(starts), endsAt: awsDateTime(ends), price: minor };
    });
    try {
      const published = await publishSlots(venueId, slots);
      setNotice({ kind: 'success', text: `Published ${published.length} slots.` });
    } catch (thrown) {
      setNotice({ kind: 'error', text: describeError(thrown) });
    }
  }

  return (
    <>
      <h1>Manage venues</h1>
      {notice && (
        <p role={notice.kind === 'error' ? 'alert' : 'status'} className={notice.kind}>
          {notice.text}
        </p>
      )}
      <form onSubmit={create} aria-label="Create a venue">
        <h2>Create a venue</h2>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <button type="submit">Create venue</button>
      </form>
      <form onSubmit={publish} aria-label="Publish slots">
        <h2>Publish hourly slots</h2>
        {mine.length === 0 ? (
          <p>Create a venue first.</p>
        ) : (
          <>
            <label>
              Venue
              <select value={venueId} onChange={(e) => setVenueId(e.target.value)}>
                {mine.map((venue) => (
                  <option key={venue.venueId} value={venue.venueId}>
                    {venue.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Day
              <input type="date" value={day} onChange={(e) => setDay(e.target.value)} required />
            </label>
            <label>
              First hour
              <input
                type="number"
                min={0}
                max={23}
                value={firstHour}
                onChange={(e) => setFirstHour(Number(e.target.value))}
              />
            </label>
            <label>
              How many
              <input
                type="number"
                min={1}
                max={MAX_SLOTS}
                value={count}
                onChange={(e) => setCount(Number(e.target.value))}
              />
            </label>
            <label>
              Price
              <input value={price} onChange={(e) => setPrice(e.target.value)} inputMode="decimal" />
            </label>
            <button type="submit">Publish slots</button>
            {venueId && (
              <p>
                <a href={venueHref(venueId)}>See this venue's slots</a>
              </p>
            )}
          </>
        )}
      </form>
    </>
  );
}
