import { useEffect, useState } from 'react';
import { ConnectionState } from 'aws-amplify/api';
import { bookSlot, getVenue, venueSlots, watchSlots, type Slot } from '../api';
import { describeError } from '../messages';
import { money, when } from '../format';
import { useConnectionState } from '../live';

type Notice = { kind: 'success' | 'error'; text: string };

/** A venue's slots as a grid that follows every change live (onSlotUpdate), with booking. */
export function VenueSlots({ venueId }: { venueId: string }) {
  const [name, setName] = useState<string | null>(null);
  const [slots, setSlots] = useState<Map<string, Slot>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [failPayment, setFailPayment] = useState(false);
  const [busySlot, setBusySlot] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const connection = useConnectionState();

  useEffect(() => {
    setSlots(new Map());
    setLoaded(false);
    getVenue(venueId).then(
      (venue) => setName(venue.name),
      (thrown) => setNotice({ kind: 'error', text: describeError(thrown) }),
    );
    // Subscribe first, then read: a change that lands between the two is not missed, and a
    // change seen live is newer than the read's copy of that slot.
    const stop = watchSlots(
      venueId,
      (slot) => setSlots((current) => new Map(current).set(slot.slotId, slot)),
      (thrown) => setNotice({ kind: 'error', text: describeError(thrown) }),
    );
    venueSlots(venueId).then(
      (read) => {
        setSlots((current) => {
          const merged = new Map(read.map((slot) => [slot.slotId, slot]));
          current.forEach((slot, id) => merged.set(id, slot));
          return merged;
        });
        setLoaded(true);
      },
      (thrown) => setNotice({ kind: 'error', text: describeError(thrown) }),
    );
    return stop;
  }, [venueId]);

  async function book(slot: Slot) {
    setBusySlot(slot.slotId);
    setNotice(null);
    try {
      const booking = await bookSlot(venueId, slot.slotId, failPayment);
      setNotice({ kind: 'success', text: `Booked for ${when(booking.startsAt)}. See My bookings.` });
    } catch (thrown) {
      setNotice({ kind: 'error', text: describeError(thrown) });
    } finally {
      setBusySlot(null);
    }
  }

  const ordered = [...slots.values()].sort((a, b) => a.slotId.localeCompare(b.slotId));
  const live = connection === ConnectionState.Connected;
  return (
    <>
      <h1>{name ?? 'Slots'}</h1>
      <p className={live ? 'live on' : 'live'} data-testid="live">
        {live ? 'Live' : 'Connecting…'}
      </p>
      <label className="inline">
        <input type="checkbox" checked={failPayment} onChange={(e) => setFailPayment(e.target.checked)} />
        Simulate payment failure
      </label>
      {notice && (
        <p role={notice.kind === 'error' ? 'alert' : 'status'} className={notice.kind}>
          {notice.text}
        </p>
      )}
      {loaded && ordered.length === 0 && <p>No slots published yet.</p>}
      <ul className="grid">
        {ordered.map((slot) => (
          <li key={slot.slotId} className={`slot ${slot.status.toLowerCase()}`} data-slot-id={slot.slotId}>
            <span>{when(slot.startsAt)}</span>
            <span>{money(slot.price)}</span>
            <span className="status" data-testid="slot-status">
              {slot.status}
            </span>
            {slot.status === 'OPEN' && (
              <button type="button" disabled={busySlot !== null} onClick={() => void book(slot)}>
                {busySlot === slot.slotId ? 'Booking…' : 'Book'}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
