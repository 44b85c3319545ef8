import { useCallback, useEffect, useState } from 'react';
import { cancelBooking, myBookings, type Booking } from '../api';
import { describeError } from '../messages';
import { money, when } from '../format';
import { venueHref } from '../routes';

/** The caller's bookings, newest first; a confirmed one of a future slot can be cancelled. */
export function MyBookings() {
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const reload = useCallback(() => {
    myBookings().then(setBookings, (thrown) => setNotice({ kind: 'error', text: describeError(thrown) }));
  }, []);
  useEffect(reload, [reload]);

  async function cancel(booking: Booking) {
    setBusy(booking.bookingId);
    setNotice(null);
    try {
      const cancelled = await cancelBooking(booking.bookingId);
      setNotice({
        kind: 'success',
        text: `Cancelled your booking for ${when(booking.startsAt)}; refund ${cancelled.refundId}.`,
      });
      reload();
    } catch (thrown) {
      setNotice({ kind: 'error', text: describeError(thrown) });
    } finally {
      setBusy(null);
    }
  }

  const upcoming = (booking: Booking) => new Date(booking.startsAt).getTime() > Date.now();
  return (
    <>
      <h1>My bookings</h1>
      {notice && (
        <p role={notice.kind === 'error' ? 'alert' : 'status'} className={notice.kind}>
          {notice.text}
        </p>
      )}
      {bookings === null && !notice && <p>Loading…</p>}
      {bookings?.length === 0 && <p>No bookings yet.</p>}
      {bookings && bookings.length > 0 && (
        <table className="bookings">
          <thead>
            <tr>
              <th>When</th>
              <th>Price</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {bookings.map((booking) => (
              <tr key={booking.bookingId} data-booking-id={booking.bookingId} data-slot-id={booking.slotId}>
                <td>
                  <a href={venueHref(booking.venueId)}>{when(booking.startsAt)}</a>
                </td>
                <td>{money(booking.price)}</td>
                <td data-testid="booking-status">
                  {booking.status}
                  {booking.failureReason ? ` (${booking.failureReason})` : ''}
                  {booking.refundId ? ` (refunded: ${booking.refundId})` : ''}
                </td>
                <td>
                  {booking.status === 'CONFIRMED' && upcoming(booking) && (
                    <button type="button" disabled={busy !== null} onClick={() => void cancel(booking)}>
                      {busy === booking.bookingId ? 'Cancelling…' : 'Cancel'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
