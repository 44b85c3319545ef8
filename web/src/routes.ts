// The app's pages, addressed by the URL's hash (#/venues/<id>), so any static host serves it.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'venues' }
  | { page: 'venue'; venueId: string }
  | { page: 'bookings' }
  | { page: 'manage' };

export function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'venues' && id) return { page: 'venue', venueId: decodeURIComponent(id) };
  if (page === 'bookings') return { page: 'bookings' };
  if (page === 'manage') return { page: 'manage' };
  return { page: 'venues' };
}

export function venueHref(venueId: string): string {
  return `#/venues/${encodeURIComponent(venueId)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return route;
}
